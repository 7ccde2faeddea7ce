// FLUX v1 (and legacy CROU v2) decoder over a contiguous buffer.
//
// Allocation is bounded by bytes present, never by declared sizes: a
// container reserves at most as many slots as the remaining bytes could
// hold items, and every declared length is checked against the bytes left
// (and the record limit) before anything is read or allocated.
#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "crous/flux.hpp"
#include "flux_format.hpp"
#include "utf8.hpp"

namespace crous {

namespace {

using namespace detail;

class Decoder {
 public:
  Decoder(ByteView data, const Limits& limits)
      : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()), limits_(limits) {
    // Bytes past the record limit may exist (the next record of a stream);
    // the decoder must not read into them as part of this record.
    limit_end_ = data.size() > limits.max_record_bytes ? begin_ + limits.max_record_bytes : end_;
  }

  void header() {
    const auto present = static_cast<std::size_t>(end_ - p_);
    if (present < flux_header_size) {
      // A prefix of a valid header is a truncated document, anything else is not ours.
      static constexpr std::uint8_t flux[] = {'F', 'L', 'U', 'X', flux_version};
      static constexpr std::uint8_t crou[] = {'C', 'R', 'O', 'U', crou_version};
      const std::size_t n = std::min(present, sizeof flux);
      if (n == 0 || std::memcmp(p_, flux, n) == 0 || std::memcmp(p_, crou, n) == 0)
        fail(ErrorCode::truncated, 0, "input ends inside the 6-byte header (" + std::to_string(present) + " bytes)");
      fail(ErrorCode::bad_header, 0, "not a FLUX or CROU document (magic bytes differ)");
    }
    if (std::memcmp(p_, flux_magic, 4) == 0) {
      if (p_[4] != flux_version) fail(ErrorCode::bad_header, 4, "unsupported FLUX version " + std::to_string(p_[4]));
    } else if (std::memcmp(p_, crou_magic, 4) == 0) {
      if (p_[4] != crou_version) fail(ErrorCode::bad_header, 4, "unsupported CROU version " + std::to_string(p_[4]));
      legacy_ = true;
    } else {
      fail(ErrorCode::bad_header, 0, "not a FLUX or CROU document (magic bytes differ)");
    }
    p_ += flux_header_size;  // byte 5 holds flags, which readers ignore
  }

  Value value(unsigned depth) {
    Value out;
    read_value(out, depth);
    return out;
  }

  void read_value(Value& out, unsigned depth) {
    need(1, "a value tag");
    const std::uint8_t tag = *p_++;
    if (legacy_) return read_legacy(out, tag, depth);
    switch (tag) {
      case flux_tag::null: out = nullptr; return;
      case flux_tag::false_: out = false; return;
      case flux_tag::true_: out = true; return;
      case flux_tag::integer: out = unzigzag(varint("an int")); return;
      case flux_tag::floating: out = read_double(); return;
      case flux_tag::string: out = read_string("string"); return;
      case flux_tag::bytes: out = read_bytes(); return;
      case flux_tag::list: out = read_sequence<List>(depth); return;
      case flux_tag::tuple: out = read_sequence<Tuple>(depth); return;
      case flux_tag::dict: out = read_dict(depth, false); return;
      case flux_tag::tagged: out = read_tagged(depth); return;
      default:
        if (tag >= small_int_first && tag <= small_int_last) {
          out = small_int_value(tag);
          return;
        }
        fail(ErrorCode::unknown_tag, offset() - 1, "unknown value tag 0x" + hex(tag));
    }
  }

  std::size_t consumed() const noexcept { return static_cast<std::size_t>(p_ - begin_); }
  bool at_end() const noexcept { return p_ == end_; }

 private:
  void read_legacy(Value& out, std::uint8_t tag, unsigned depth) {
    switch (tag) {
      case crou_tag::null: out = nullptr; return;
      case crou_tag::false_: out = false; return;
      case crou_tag::true_: out = true; return;
      case crou_tag::integer: out = static_cast<std::int64_t>(read_u64("an 8-byte int")); return;
      case crou_tag::floating: out = read_double(); return;
      case crou_tag::string: out = read_string("string"); return;
      case crou_tag::bytes: out = read_bytes(); return;
      case crou_tag::list: out = read_sequence<List>(depth); return;
      case crou_tag::tuple: out = read_sequence<Tuple>(depth); return;
      case crou_tag::dict: out = read_dict(depth, true); return;
      case crou_tag::tagged: out = read_tagged(depth); return;
      default:
        if (tag >= small_int_first && tag <= small_int_last) {
          out = small_int_value(tag);
          return;
        }
        fail(ErrorCode::unknown_tag, offset() - 1, "unknown legacy value tag 0x" + hex(tag));
    }
  }

  std::size_t offset() const noexcept { return static_cast<std::size_t>(p_ - begin_); }

  [[noreturn]] void fail(ErrorCode code, std::size_t offset, std::string message) const {
    throw DecodeError(code, offset, std::move(message));
  }

  static std::string hex(std::uint8_t b) {
    static constexpr char digits[] = "0123456789abcdef";
    return {digits[b >> 4], digits[b & 15]};
  }

  // Checks that `bytes` more bytes can exist: within the record limit first
  // (so a huge declaration is a limit error), then within the input.
  // Checks that `count` items of at least `unit` bytes each can follow.
  void need_items(std::uint64_t count, unsigned unit, const char* what) const {
    need(count > UINT64_MAX / unit ? UINT64_MAX : count * unit, what);
  }

  void need(std::uint64_t bytes, const char* what) const {
    if (bytes <= static_cast<std::uint64_t>(limit_end_ - p_)) return;
    if (limit_end_ != end_ || bytes > limits_.max_record_bytes - offset()) {
      fail(ErrorCode::limit_exceeded, offset(),
           std::string(what) + " needs " + std::to_string(bytes) + " more bytes, past the record limit of " +
               std::to_string(limits_.max_record_bytes) + " bytes");
    }
    fail(ErrorCode::truncated, offset(),
         std::string("input ends before ") + what + " (" + std::to_string(bytes) + " bytes needed, " +
             std::to_string(end_ - p_) + " left)");
  }

  std::uint64_t varint(const char* what) {
    const std::size_t start = offset();
    std::uint64_t v = 0;
    for (unsigned i = 0; i < max_varint_bytes; ++i) {
      need(1, what);
      const std::uint8_t b = *p_++;
      if (i == max_varint_bytes - 1 && b > 1)
        fail(ErrorCode::varint_too_long, start, std::string("varint for ") + what + " exceeds 64 bits");
      v |= static_cast<std::uint64_t>(b & 0x7F) << (7 * i);
      if ((b & 0x80) == 0) return v;
    }
    fail(ErrorCode::varint_too_long, start, std::string("varint for ") + what + " is longer than 10 bytes");
  }

  std::uint64_t read_u64(const char* what) {
    need(8, what);
    const std::uint64_t v = load_u64_le(p_);
    p_ += 8;
    return v;
  }

  double read_double() { return std::bit_cast<double>(read_u64("a float")); }

  std::string_view read_text(const char* what) {
    const std::uint64_t len = varint(what);
    need(len, what);
    const std::size_t start = offset();
    const char* text = reinterpret_cast<const char*>(p_);
    if (limits_.validate_utf8) {
      const std::size_t bad = find_invalid_utf8(p_, len);
      if (bad != len)
        fail(ErrorCode::invalid_utf8, start + bad, std::string(what) + " is not valid UTF-8 (byte 0x" + hex(p_[bad]) + ")");
    }
    p_ += len;
    return {text, static_cast<std::size_t>(len)};
  }

  std::string read_string(const char* what) { return std::string(read_text(what)); }

  Bytes read_bytes() {
    const std::uint64_t len = varint("bytes length");
    need(len, "bytes");
    Bytes b(p_, p_ + len);
    p_ += len;
    return b;
  }

  void enter(unsigned depth) const {
    if (depth + 1 > limits_.max_depth)
      fail(ErrorCode::depth_exceeded, offset() - 1,
           "nesting deeper than the limit of " + std::to_string(limits_.max_depth));
  }

  template <class Seq>
  Seq read_sequence(unsigned depth) {
    enter(depth);
    const std::uint64_t count = varint("an item count");
    need_items(count, 1, "the declared items");  // every item is at least one byte
    Seq seq;
    seq.reserve(static_cast<std::size_t>(count));
    auto& items = seq.items();
    for (std::uint64_t i = 0; i < count; ++i) read_value(items.emplace_back(), depth + 1);
    return seq;
  }

  Dict read_dict(unsigned depth, bool legacy_keys) {
    enter(depth);
    const std::uint64_t count = varint("an entry count");
    need_items(count, 2, "the declared entries");  // key length + value tag at least
    Dict dict;
    dict.reserve(static_cast<std::size_t>(count));
    for (std::uint64_t i = 0; i < count; ++i) {
      if (legacy_keys) {
        need(1, "a key");
        if (*p_ != crou_tag::string)
          fail(ErrorCode::unknown_tag, offset(), "legacy dict key must be a string (tag 0x05), got 0x" + hex(*p_));
        ++p_;
      }
      std::string key(read_text("a dict key"));
      dict.insert_or_assign(std::move(key), value(depth + 1));
    }
    return dict;
  }

  Tagged read_tagged(unsigned depth) {
    enter(depth);
    const std::size_t start = offset();
    const std::uint64_t tag = varint("a tag number");
    if (tag > UINT32_MAX) fail(ErrorCode::invalid_value, start, "tag number " + std::to_string(tag) + " exceeds 32 bits");
    return Tagged(static_cast<std::uint32_t>(tag), value(depth + 1));
  }

  const std::uint8_t* begin_;
  const std::uint8_t* p_;
  const std::uint8_t* end_;
  const std::uint8_t* limit_end_;
  const Limits& limits_;
  bool legacy_ = false;
};

}  // namespace

std::size_t decode_flux_prefix(ByteView data, Value& out, const Limits& limits) {
  Decoder decoder(data, limits);
  decoder.header();
  decoder.read_value(out, 0);
  return decoder.consumed();
}

Value decode_flux(ByteView data, const Limits& limits) {
  Decoder decoder(data, limits);
  decoder.header();
  Value out = decoder.value(0);
  if (!decoder.at_end())
    throw DecodeError(ErrorCode::trailing_bytes, decoder.consumed(),
                      std::to_string(data.size() - decoder.consumed()) + " bytes after the end of the document");
  return out;
}

std::size_t decode_flux_value(ByteView data, Value& out, const Limits& limits, unsigned depth) {
  Decoder decoder(data, limits);
  decoder.read_value(out, depth);
  return decoder.consumed();
}

}  // namespace crous
