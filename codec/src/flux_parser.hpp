#pragma once
// The one FLUX v1 / legacy CROU v2 parser, shared by every decoded form.
//
// FluxParser<Builder> validates everything (header, tags, varints, declared
// sizes against the bytes present and the record limit, depth, UTF-8) and
// reports what it reads to a Builder, which decides the representation:
// the owning crous::Value tree (flux_decode.cpp), the read-only
// crous::Document tape (document.cpp) or sink events (crout/flux_events.hpp).
// Errors, codes and offsets are the parser's, so every form fails
// identically. The grammar itself (tags, varints) is flux_format.hpp's.
// Allocation is bounded by bytes present, never by declared sizes: a count is
// checked against the bytes left (and the record limit) before begin_* sees it.
#include <algorithm>
#include <bit>
#include <concepts>
#include <cstring>
#include <string>
#include <string_view>

#include "crous/error.hpp"
#include "crous/flux.hpp"
#include "flux_format.hpp"
#include "hex.hpp"
#include "utf8.hpp"

namespace crous::detail {

// True when none of the n bytes at p has its high bit set.
inline bool all_ascii(const std::uint8_t* p, std::size_t n) noexcept {
  std::uint64_t acc = 0;
  if (n >= 8) {
    std::size_t i = 0;
    for (; i + 8 <= n; i += 8) {
      std::uint64_t w;
      std::memcpy(&w, p + i, 8);
      acc |= w;
    }
    if (i < n) {  // the last 8 bytes, overlapping what was read
      std::uint64_t w;
      std::memcpy(&w, p + n - 8, 8);
      acc |= w;
    }
    return (acc & 0x8080808080808080ULL) == 0;
  }
  if (n >= 4) {
    std::uint32_t a, b;
    std::memcpy(&a, p, 4);
    std::memcpy(&b, p + n - 4, 4);
    return ((a | b) & 0x80808080U) == 0;
  }
  std::uint8_t x = 0;
  for (std::size_t i = 0; i < n; ++i) x |= p[i];
  return (x & 0x80) == 0;
}

// One bit of a 64-bit filter for a dict key (first byte plus length).
// Builders keep the filter of the keys seen in a dict: a key whose bit is not
// set is new, and needs no duplicate search.
inline std::uint64_t key_filter_bit(std::string_view key) noexcept {
  const std::size_t n = key.size();
  const unsigned first = n == 0 ? 0u : static_cast<std::uint8_t>(key[0]);
  return std::uint64_t{1} << ((first + static_cast<unsigned>(n)) & 63);
}

[[noreturn]] void throw_decode_error(ErrorCode code, std::size_t offset, std::string message);

// What FluxParser reports to. A Slot is a cheap handle to a value still to be
// written; each set_* or begin_* call writes the value of one slot. A Seq or
// Map is the builder's state for an open container: the parser asks it for
// the slot of each item (next_item) or of each entry's value (dict_slot) and
// closes it with end_sequence / end_dict. begin_tagged returns the slot of
// the tagged value's inner value. Counts are checked before begin_* sees them.
template <class B>
concept FluxBuilder =
    std::move_constructible<B> &&
    requires(B& b, typename B::Slot slot, typename B::Seq& seq, typename B::Map& map, std::int64_t i, double d,
             std::string_view text, const std::uint8_t* data, std::size_t n, std::uint32_t tag) {
      b.set_null(slot);
      b.set_bool(slot, true);
      b.set_int(slot, i);
      b.set_float(slot, d);
      b.set_string(slot, text);
      b.set_bytes(slot, data, n);
      { b.begin_list(slot, n) } -> std::same_as<typename B::Seq>;
      { b.begin_tuple(slot, n) } -> std::same_as<typename B::Seq>;
      { b.next_item(seq) } -> std::same_as<typename B::Slot>;
      b.end_sequence(seq);
      { b.begin_dict(slot, n) } -> std::same_as<typename B::Map>;
      { b.dict_slot(map, text) } -> std::same_as<typename B::Slot>;
      b.end_dict(map);
      { b.begin_tagged(slot, tag) } -> std::same_as<typename B::Slot>;
    };

template <FluxBuilder Builder>
class FluxParser {
 public:
  using Slot = typename Builder::Slot;
  using P = const std::uint8_t*;

  FluxParser(ByteView data, const Limits& limits, Builder builder)
      : begin_(data.data()), p_(data.data()), end_(data.data() + data.size()), limits_(limits), b_(std::move(builder)) {
    // Bytes past the record limit may exist (the next record of a stream);
    // the parser must not read into them as part of this record.
    limit_end_ = data.size() > limits.max_record_bytes ? begin_ + limits.max_record_bytes : end_;
  }

  void header() {
    const auto present = static_cast<std::size_t>(end_ - p_);
    if (present < flux_header_size) [[unlikely]] {
      // A prefix of a valid header is a truncated document, anything else is not ours.
      static constexpr std::uint8_t flux[] = {'F', 'L', 'U', 'X', flux_version};
      static constexpr std::uint8_t crou[] = {'C', 'R', 'O', 'U', crou_version};
      const std::size_t n = std::min(present, sizeof flux);
      if (n == 0 || std::memcmp(p_, flux, n) == 0 || std::memcmp(p_, crou, n) == 0)
        fail(ErrorCode::truncated, 0, "input ends inside the 6-byte header (" + std::to_string(present) + " bytes)");
      fail(ErrorCode::bad_header, 0, "not a FLUX or CROU document (magic bytes differ)");
    }
    if (std::memcmp(p_, flux_magic, 4) == 0) [[likely]] {
      if (p_[4] != flux_version) fail(ErrorCode::bad_header, 4, "unsupported FLUX version " + std::to_string(p_[4]));
    } else if (std::memcmp(p_, crou_magic, 4) == 0) {
      if (p_[4] != crou_version) fail(ErrorCode::bad_header, 4, "unsupported CROU version " + std::to_string(p_[4]));
      legacy_ = true;
    } else {
      fail(ErrorCode::bad_header, 0, "not a FLUX or CROU document (magic bytes differ)");
    }
    p_ += flux_header_size;  // byte 5 holds flags, which readers ignore
  }

  void read_value(Slot out, unsigned depth) { p_ = value(p_, out, depth); }

  std::size_t consumed() const noexcept { return static_cast<std::size_t>(p_ - begin_); }
  bool at_end() const noexcept { return p_ == end_; }
  Builder& builder() noexcept { return b_; }

 private:
  // The read position is passed and returned by value (not kept in a
  // member) so it stays in a register through the hot paths.
  struct Read {
    P p;
    std::uint64_t v;
  };

  // Inlined into every container loop, so a scalar item costs no call; only
  // containers recurse (through the out-of-line read_sequence/read_dict/...).
  [[gnu::always_inline]] P value(P p, Slot out, unsigned depth) {
    need(p, 1, "a value tag");
    const std::uint8_t tag = *p++;
    if (legacy_) [[unlikely]]
      return legacy_value(p, out, tag, depth);
    return value_of(static_cast<TagKind>(tag), tag, p, out, depth);  // see TagKind
  }

  __attribute__((noinline)) P legacy_value(P p, Slot out, std::uint8_t tag, unsigned depth) {
    return value_of(crou_tag_kinds.of[tag], tag, p, out, depth);
  }

  // The value a tag of this kind starts; p is past the tag.
  [[gnu::always_inline]] P value_of(TagKind kind, std::uint8_t tag, P p, Slot out, unsigned depth) {
    switch (kind) {
      case TagKind::null: b_.set_null(out); return p;
      case TagKind::false_: b_.set_bool(out, false); return p;
      case TagKind::true_: b_.set_bool(out, true); return p;
      case TagKind::small_int:
      default:  // a FLUX byte past FLUX's own tags, cast as it is (value())
        if (flux_tag_kind(tag) != TagKind::small_int) break;
        b_.set_int(out, small_int_value(tag));
        return p;
      case TagKind::varint_int: {
        const Read r = varint(p, "an int");
        b_.set_int(out, unzigzag(r.v));
        return r.p;
      }
      case TagKind::fixed_int: {
        const Read r = read_u64(p, "an 8-byte int");
        b_.set_int(out, static_cast<std::int64_t>(r.v));
        return r.p;
      }
      case TagKind::floating: {
        const Read r = read_u64(p, "a float");
        b_.set_float(out, std::bit_cast<double>(r.v));
        return r.p;
      }
      case TagKind::string: return read_string(p, out);
      case TagKind::bytes: return read_bytes(p, out);
      case TagKind::list: return read_sequence<false>(p, out, depth);
      case TagKind::tuple: return read_sequence<true>(p, out, depth);
      case TagKind::dict: return read_dict(p, out, depth);
      case TagKind::tagged: return read_tagged(p, out, depth);
      case TagKind::unknown: break;
    }
    fail(ErrorCode::unknown_tag, offset(p) - 1, unknown_tag_message(legacy_) + hex_byte(tag));
  }

  std::size_t offset(P p) const noexcept { return static_cast<std::size_t>(p - begin_); }

  [[noreturn]] void fail(ErrorCode code, std::size_t offset, std::string message) const {
    throw_decode_error(code, offset, std::move(message));
  }

  // Checks that `count` items of at least `unit` bytes each can follow.
  void need_items(P p, std::uint64_t count, unsigned unit, const char* what) const {
    need(p, count > UINT64_MAX / unit ? UINT64_MAX : count * unit, what);
  }

  // Checks that `bytes` more bytes can exist: within the record limit first
  // (so a huge declaration is a limit error), then within the input.
  void need(P p, std::uint64_t bytes, const char* what) const {
    if (bytes <= static_cast<std::uint64_t>(limit_end_ - p)) [[likely]]
      return;
    need_failed(p, bytes, what);
  }

  [[noreturn]] __attribute__((noinline, cold)) void need_failed(P p, std::uint64_t bytes, const char* what) const {
    if (limit_end_ != end_ || bytes > limits_.max_record_bytes - offset(p)) {
      fail(ErrorCode::limit_exceeded, offset(p),
           "record limit of " + std::to_string(limits_.max_record_bytes) + " bytes exceeded: " + what +
               " would take " + std::to_string(bytes) + " more bytes");
    }
    fail(ErrorCode::truncated, offset(p),
         std::string("input ends before ") + what + " (" + std::to_string(bytes) + " bytes needed, " +
             std::to_string(end_ - p) + " left)");
  }

  Read varint(P p, const char* what) const {
    const VarintRead r = read_short_varint(p, limit_end_);
    if (r.next != nullptr) [[likely]]
      return {r.next, r.value};
    return long_varint(p, what);
  }

  __attribute__((noinline)) Read long_varint(P p, const char* what) const {
    const VarintRead r = read_long_varint(p, limit_end_);
    if (r.next == nullptr) [[unlikely]]
      varint_failed(p, what);
    return {r.next, r.value};
  }

  [[noreturn]] __attribute__((noinline, cold)) void varint_failed(P p, const char* what) const {
    if (varint_cut_short(p, limit_end_)) need_failed(limit_end_, 1, what);
    fail(ErrorCode::varint_too_long, offset(p), std::string("varint for ") + what + " exceeds 64 bits");
  }

  Read read_u64(P p, const char* what) const {
    need(p, 8, what);
    return {p + 8, load_u64_le(p)};
  }

  // A length-prefixed UTF-8 text (string value or dict key); p moves past it.
  std::string_view read_text(P& p, const char* what) const {
    const Read r = varint(p, what);
    const std::uint64_t len = r.v;
    need(r.p, len, what);
    if (limits_.validate_utf8 && !all_ascii(r.p, len)) [[unlikely]] {
      const std::size_t bad = find_invalid_utf8(r.p, len);
      if (bad != len)
        fail(ErrorCode::invalid_utf8, offset(r.p) + bad,
             std::string(what) + " is not valid UTF-8 (byte 0x" + hex_byte(r.p[bad]) + ")");
    }
    p = r.p + len;
    return {reinterpret_cast<const char*>(r.p), static_cast<std::size_t>(len)};
  }

  P read_string(P p, Slot out) {
    const std::string_view text = read_text(p, "string");
    b_.set_string(out, text);
    return p;
  }

  P read_bytes(P p, Slot out) {
    const Read r = varint(p, "bytes length");
    need(r.p, r.v, "bytes");
    b_.set_bytes(out, r.p, static_cast<std::size_t>(r.v));
    return r.p + r.v;
  }

  void enter(P p, unsigned depth) const {
    if (depth + 1 > limits_.max_depth) [[unlikely]]
      too_deep(p);
  }

  [[noreturn]] __attribute__((noinline, cold)) void too_deep(P p) const {
    fail(ErrorCode::depth_exceeded, offset(p) - 1, "nesting deeper than the limit of " + std::to_string(limits_.max_depth));
  }

  Read item_count(P p, unsigned depth) const {
    enter(p, depth);
    const Read r = varint(p, "an item count");
    need_items(r.p, r.v, 1, "the declared items");  // every item is at least one byte
    return r;
  }

  // A list or a tuple: the same bytes after the tag.
  template <bool tuple>
  __attribute__((noinline)) P read_sequence(P p, Slot out, unsigned depth) {
    const Read r = item_count(p, depth);
    p = r.p;
    const auto count = static_cast<std::size_t>(r.v);
    auto seq = tuple ? b_.begin_tuple(out, count) : b_.begin_list(out, count);
    for (std::size_t i = 0; i < count; ++i) p = value(p, b_.next_item(seq), depth + 1);
    b_.end_sequence(seq);
    return p;
  }

  __attribute__((noinline)) P read_dict(P p, Slot out, unsigned depth) {
    enter(p, depth);
    const Read r = varint(p, "an entry count");
    p = r.p;
    const std::uint64_t count = r.v;
    need_items(p, count, 2, "the declared entries");  // key length + value tag at least
    auto map = b_.begin_dict(out, static_cast<std::size_t>(count));
    const bool legacy_keys = legacy_;  // a local: the builder's stores might alias the member
    for (std::uint64_t i = 0; i < count; ++i) {
      if (legacy_keys) {  // a legacy key is a whole string value, tag included
        need(p, 1, "a key");
        if (*p != crou_tag::string) fail(ErrorCode::unknown_tag, offset(p), legacy_key_tag_message + hex_byte(*p));
        ++p;
      }
      const std::string_view key = read_text(p, "a dict key");
      p = value(p, b_.dict_slot(map, key), depth + 1);
    }
    b_.end_dict(map);
    return p;
  }

  __attribute__((noinline)) P read_tagged(P p, Slot out, unsigned depth) {
    enter(p, depth);
    const std::size_t start = offset(p);
    const Read r = varint(p, "a tag number");
    if (r.v > UINT32_MAX) fail(ErrorCode::invalid_value, start, "tag number " + std::to_string(r.v) + " exceeds 32 bits");
    return value(r.p, b_.begin_tagged(out, static_cast<std::uint32_t>(r.v)), depth + 1);
  }

  const std::uint8_t* begin_;
  const std::uint8_t* p_;  // between top-level calls only
  const std::uint8_t* end_;
  const std::uint8_t* limit_end_;
  // Copies, not references: the hot paths read them without a pointer chase.
  const Limits limits_;
  Builder b_;
  bool legacy_ = false;
};

}  // namespace crous::detail
