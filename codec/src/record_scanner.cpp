#include "crous/record_scanner.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <string>

#include "crous/flux.hpp"
#include "flux_format.hpp"
#include "flux_parser.hpp"  // all_ascii: the decoder's own ASCII pre-check
#include "hex.hpp"
#include "utf8.hpp"

namespace crous {

using namespace detail;

// The frame stack grows on the first nested record and keeps its capacity;
// nothing is reserved up front, because a server holds one scanner per
// connection and most connections never nest deeply.
RecordScanner::RecordScanner(const Limits& limits, Mode mode) : limits_(limits), mode_(mode) { reset(); }

void RecordScanner::reset() noexcept {
  stack_.clear();
  pos_ = 0;
  skip_ = 0;
  varint_ = {};
  legacy_ = false;
  if (mode_ == Mode::record) {
    state_ = State::header;
    outstanding_ = flux_header_size + 1;  // the header and the root value's tag
  } else {
    state_ = State::tag;
    outstanding_ = 1;
  }
}

RecordScanner::Result RecordScanner::fail(ErrorCode code, std::size_t offset, std::string message, std::size_t consumed) {
  error_code_ = code;
  error_offset_ = offset;
  error_message_ = std::move(message);
  state_ = State::done;
  return {Status::error, consumed};
}

bool RecordScanner::declare(std::uint64_t bytes) {
  // Saturating, so the error message can still say how big the record claims to be.
  const std::uint64_t room = UINT64_MAX - pos_ - outstanding_;
  outstanding_ += std::min(bytes, room);
  return pos_ + outstanding_ <= limits_.max_record_bytes;
}

void RecordScanner::push(std::uint64_t count, bool dict) { stack_.push_back(Frame{count, dict, dict}); }

void RecordScanner::start_varint(VarintUse use) noexcept {
  varint_use_ = use;
  varint_ = {};
  state_ = State::varint;
}

void RecordScanner::start_skip(std::uint64_t bytes, Skipped what) noexcept {
  skip_ = bytes;
  skipped_ = what;
  state_ = State::skip;
  if (what != Skipped::opaque) {
    text_start_ = pos_;
    utf8_.start();
  }
}

// The bytes of a float, string, bytes value or key have all been skipped.
void RecordScanner::skip_done() {
  if (skipped_ == Skipped::key) {
    state_ = State::tag;  // the entry's value follows its key
  } else {
    value_done();
  }
}

// A value just ended: count it against the enclosing containers, closing
// every container it completes.
void RecordScanner::value_done() {
  while (!stack_.empty()) {
    Frame& top = stack_.back();
    if (--top.remaining != 0) {
      top.key_next = top.dict;
      if (top.key_next && !legacy_) {
        start_varint(VarintUse::key_len);
      } else {
        state_ = State::tag;  // a value, or a legacy key (a tagged string)
      }
      return;
    }
    stack_.pop_back();
  }
  state_ = State::done;
}

// ---- Fast path ----
//
// Between items (a value tag or a dict key length is next, or a record is
// about to start) the scanner can take whole items at once when they lie
// entirely in the chunk: a tight loop with the state in locals and no
// per-byte state writes. It keeps exactly the byte machine's accounting:
// `sum` is pos_ + outstanding_ (the least record size), which declared bytes
// leave unchanged and each undeclared varint continuation byte raises by one.
// Anything the fast path does not handle cleanly -- an item cut by the chunk
// end, any error, a text that is not ASCII, legacy CROU records -- makes it
// stop at the start of that item with the state written back, and the byte
// machine takes the item from there (so errors, offsets and limits are the
// byte machine's, and no byte is scanned twice, save the bytes of a non-ASCII
// text, which the fast path's ASCII check reads before the byte machine
// validates them: total work stays linear however the bytes are chunked).

bool RecordScanner::at_item_boundary() const noexcept {
  if (legacy_) return false;
  switch (state_) {
    case State::tag: return true;
    case State::varint: return varint_.bytes == 0 && varint_use_ == VarintUse::key_len;
    case State::header: return pos_ == 0 && mode_ == Mode::record;
    default: return false;
  }
}

namespace {
// high_bits_of_first[n]: the high bits of the first n bytes of a
// little-endian 64-bit word.
constexpr std::uint64_t high_bits_of_first[9] = {
    0, 0x80, 0x8080, 0x808080, 0x80808080, 0x8080808080, 0x808080808080, 0x80808080808080, 0x8080808080808080};
}  // namespace

// The fast path takes a text (a whole string or key in the chunk) when it is
// ASCII, as nearly all are, or when UTF-8 is not checked; any other text it
// leaves to the byte machine, which validates it and pinpoints a bad
// sequence. This runs for every key and string, so the common case -- at
// most 8 bytes, with 8 bytes readable from its start -- is one load and a
// mask (reading past the text, never past the chunk), and everything else
// is out of line, which keeps the fast path's state in registers.
inline bool RecordScanner::fast_path_takes_text(const std::uint8_t* text, std::uint64_t size,
                                                const std::uint8_t* chunk_end) const noexcept {
  if constexpr (std::endian::native == std::endian::little) {
    if (size <= 8 && chunk_end - text >= 8) [[likely]] {
      std::uint64_t word;
      std::memcpy(&word, text, 8);
      if ((word & high_bits_of_first[size]) == 0) [[likely]]
        return true;
    }
  }
  return fast_path_takes_other_text(text, size);
}

__attribute__((noinline)) bool RecordScanner::fast_path_takes_other_text(const std::uint8_t* text,
                                                                         std::uint64_t size) const noexcept {
  return all_ascii(text, static_cast<std::size_t>(size)) || !limits_.validate_utf8;
}

namespace {
// The length of the complete, valid varint at p (its value in v), or 0 when
// it is cut by `end` or runs past 64 bits: the byte machine reports those.
// `one_byte_checked`: the caller has already taken the one-byte case.
template <bool one_byte_checked = false>
inline unsigned varint_length(const std::uint8_t* p, const std::uint8_t* end, std::uint64_t& v) noexcept {
  const VarintRead r = one_byte_checked ? read_long_varint(p, end) : read_varint(p, end);
  v = r.value;
  return r.next == nullptr ? 0 : static_cast<unsigned>(r.next - p);
}
}  // namespace

// Returns true when the record completed (state reset, record_size_ set).
// The innermost container's frame lives in locals (`remaining`, `in_dict`);
// stack_ holds the outer ones while the loop runs, and gets the inner one
// back when the loop stops. Outer frames are always mid-value (key_next
// false); the inner frame's key_next says whether a key is next.
// `room` is max_record_bytes - (pos_ + outstanding_): what declarations may
// still add.
bool RecordScanner::scan_fast(const std::uint8_t*& p_ref, const std::uint8_t* const end) {
  // Few locals on purpose: the loop is instruction-bound and spills hurt.
  // The chunk start stays in p_ref and the limits are read where needed.
  const std::uint8_t* p = p_ref;
  if (pos_ + outstanding_ > limits_.max_record_bytes) return false;  // the byte machine reports it
  std::uint64_t room = limits_.max_record_bytes - (pos_ + outstanding_);
  const bool key_first = state_ == State::varint;

  if (state_ == State::header) {
    if (end - p < static_cast<std::ptrdiff_t>(flux_header_size) || !is_flux_v1_header(p))
      return false;  // short, legacy or bad: the byte machine takes it
    p += flux_header_size;  // declared with the record: room unchanged
  }

  std::size_t depth = stack_.size();  // open containers, the inner one included
  std::uint64_t remaining = 0;
  bool in_dict = false;
  if (depth != 0) {
    remaining = stack_.back().remaining;
    in_dict = stack_.back().dict;
    stack_.pop_back();
  }
  std::uint64_t v;
  unsigned vlen;
  bool key_next;  // where the loop stopped
  if (key_first) goto key;

value:
  if (p == end) goto stop_value;
  switch (*p) {
    case flux_tag::integer:
      if (end - p >= 2 && p[1] < 0x80) {  // one-byte varint: declare(1)
        if (room == 0) goto stop_value;
        p += 2;
        room -= 1;
        break;
      }
      // The varint's first byte was declared with the tag; more bytes are extra.
      vlen = varint_length<true>(p + 1, end, v);
      if (vlen == 0 || vlen - 1 >= room) goto stop_value;  // declare(1) for the varint, + continuation bytes
      p += 1 + vlen;
      room -= vlen;
      break;
    case flux_tag::string:
    case flux_tag::bytes:
      if (end - p >= 2 && p[1] < 0x80) [[likely]] {  // one-byte length
        v = p[1];
        vlen = 1;
      } else {
        vlen = varint_length<true>(p + 1, end, v);
        if (vlen == 0) goto stop_value;
      }
      if (vlen - 1 >= room || v > room - vlen || v > static_cast<std::uint64_t>(end - p - 1 - vlen)) goto stop_value;
      if (*p == flux_tag::string && !fast_path_takes_text(p + 1 + vlen, v, end)) goto stop_value;
      p += 1 + vlen + v;
      room -= vlen + v;
      break;
    case flux_tag::null:
    case flux_tag::false_:
    case flux_tag::true_:
      p += 1;
      break;
    case flux_tag::floating:
      if (end - p < 9 || room < 8) goto stop_value;
      p += 9;
      room -= 8;
      break;
    case flux_tag::list:
    case flux_tag::tuple:
    case flux_tag::dict:
    case flux_tag::tagged: {
      if (depth + 1 > limits_.max_depth) goto stop_value;
      const std::uint8_t tag = *p;
      vlen = varint_length(p + 1, end, v);
      if (vlen == 0 || vlen - 1 >= room) goto stop_value;
      std::uint64_t count = 1;
      bool dict = false;
      std::uint64_t declared;  // beyond the varint
      if (tag == flux_tag::tagged) {
        if (v > UINT32_MAX) goto stop_value;
        declared = 1;
      } else {
        if (v > limits_.max_record_bytes) goto stop_value;
        dict = tag == flux_tag::dict;
        count = v;
        declared = dict ? 2 * v : v;
      }
      if (declared > room - vlen) goto stop_value;
      p += 1 + vlen;
      room -= vlen + declared;
      if (count == 0) break;  // an empty list/tuple/dict is a complete value
      if (depth != 0) stack_.push_back(Frame{remaining, in_dict, false});
      ++depth;
      remaining = count;
      in_dict = dict;
      if (dict) goto key;
      goto value;
    }
    default:
      if (flux_tag_kind(*p) == TagKind::small_int) {  // legacy one-byte ints
        p += 1;
        break;
      }
      goto stop_value;  // unknown tag: the byte machine reports it
  }
  // The value ended: close every container it completes.
  for (;;) {
    if (depth == 0) {
      pos_ += static_cast<std::size_t>(p - p_ref);
      p_ref = p;
      record_size_ = pos_;
      reset();
      return true;
    }
    if (--remaining != 0) {
      if (in_dict) goto key;
      goto value;
    }
    if (--depth != 0) {
      remaining = stack_.back().remaining;
      in_dict = stack_.back().dict;
      stack_.pop_back();
    }
  }

key:
  // The key length's first byte was declared with the entry.
  if (p != end && p[0] < 0x80) {  // one-byte length
    v = p[0];
    if (v > room || v >= static_cast<std::uint64_t>(end - p) || !fast_path_takes_text(p + 1, v, end)) goto stop_key;
    p += 1 + v;
    room -= v;
    goto value;
  }
  vlen = varint_length<true>(p, end, v);
  if (vlen == 0 || vlen - 1 > room || v > room - (vlen - 1) || v > static_cast<std::uint64_t>(end - p - vlen) ||
      !fast_path_takes_text(p + vlen, v, end))
    goto stop_key;
  p += vlen + v;
  room -= vlen - 1 + v;
  goto value;

  // Stop at the start of the current item (a key or a value); the byte
  // machine goes on from here.
stop_key:
  key_next = true;
  goto stop;
stop_value:
  key_next = false;
stop:
  if (depth != 0) stack_.push_back(Frame{remaining, in_dict, key_next});
  pos_ += static_cast<std::size_t>(p - p_ref);
  outstanding_ = (limits_.max_record_bytes - room) - pos_;
  p_ref = p;
  if (key_next) {
    start_varint(VarintUse::key_len);
  } else {
    state_ = State::tag;
  }
  return false;
}

RecordScanner::Result RecordScanner::feed(std::span<const std::uint8_t> chunk) {
  if (state_ == State::done) reset();
  const std::uint8_t* const begin = chunk.data();
  const std::uint8_t* p = begin;
  const std::uint8_t* const end = begin + chunk.size();
  auto used = [&] { return static_cast<std::size_t>(p - begin); };

  while (p < end) {
    if (at_item_boundary()) {
      if (scan_fast(p, end)) return {Status::complete, used()};
      if (p == end) break;
    }
    switch (state_) {
      case State::header: {
        const std::uint8_t b = *p;
        if (pos_ < 4) {
          const bool flux = std::memcmp(header_, flux_magic, pos_) == 0 && b == flux_magic[pos_];
          const bool crou = std::memcmp(header_, crou_magic, pos_) == 0 && b == crou_magic[pos_];
          // Refused at the first wrong byte, reported (as the decoder does) at the magic's start.
          if (!flux && !crou) return fail(ErrorCode::bad_header, 0, "not a FLUX record (magic byte 0x" + hex_byte(b) + ")", used());
        } else if (pos_ == 4) {
          legacy_ = header_[0] == 'C';
          const std::uint8_t want = legacy_ ? crou_version : flux_version;
          if (b != want) return fail(ErrorCode::bad_header, pos_, "unsupported version " + std::to_string(b), used());
        }
        header_[pos_] = b;
        ++p;
        ++pos_;
        --outstanding_;
        if (pos_ == flux_header_size) state_ = State::tag;
        break;
      }
      case State::tag: {
        const std::size_t at = pos_;
        const std::uint8_t tag = *p++;
        ++pos_;
        --outstanding_;
        item_start_ = at;
        if (!stack_.empty() && stack_.back().key_next) {
          // Only legacy dicts get here: their keys are full string values.
          if (tag != crou_tag::string) return fail(ErrorCode::unknown_tag, at, legacy_key_tag_message + hex_byte(tag), used());
          start_varint(VarintUse::key_len);
          break;
        }
        const TagKind kind = (legacy_ ? crou_tag_kinds : flux_tag_kinds).of[tag];
        switch (kind) {
          case TagKind::null:
          case TagKind::false_:
          case TagKind::true_:
          case TagKind::small_int:  // the tag is the value
            value_done();
            break;
          case TagKind::fixed_int:
          case TagKind::floating:
            if (!declare(8)) goto too_large;
            start_skip(8, Skipped::opaque);
            break;
          case TagKind::list:
          case TagKind::tuple:
          case TagKind::dict:
          case TagKind::tagged:
            if (stack_.size() + 1 > limits_.max_depth)
              return fail(ErrorCode::depth_exceeded, at,
                          "nesting deeper than the limit of " + std::to_string(limits_.max_depth), used());
            [[fallthrough]];
          case TagKind::varint_int:
          case TagKind::string:
          case TagKind::bytes:
            if (!declare(1)) goto too_large;
            start_varint(kind == TagKind::varint_int ? VarintUse::int_value
                         : kind == TagKind::string   ? VarintUse::text_len
                         : kind == TagKind::bytes    ? VarintUse::bytes_len
                         : kind == TagKind::dict     ? VarintUse::dict_count
                         : kind == TagKind::tagged   ? VarintUse::tag_number
                                                     : VarintUse::list_count);
            break;
          case TagKind::unknown:
            return fail(ErrorCode::unknown_tag, at, unknown_tag_message(legacy_) + hex_byte(tag), used());
        }
        break;
      }
      case State::varint: {
        const bool first = varint_.bytes == 0;
        if (first) item_start_ = pos_;
        const std::uint8_t b = *p++;
        ++pos_;
        if (first) {
          --outstanding_;
        } else if (pos_ + outstanding_ > limits_.max_record_bytes) {
          goto too_large;
        }
        const VarintAccumulator::Step step = varint_.add(b);
        if (step == VarintAccumulator::Step::too_long)
          return fail(ErrorCode::varint_too_long, item_start_, "varint exceeds 64 bits", used());
        if (step == VarintAccumulator::Step::more) {
          // A continuation bit promises one more byte: a record already at
          // the limit cannot have it (the decoder refuses it here too).
          if (pos_ + outstanding_ + 1 > limits_.max_record_bytes) {
            ++outstanding_;  // so the message counts that byte
            goto too_large;
          }
          break;
        }
        const std::uint64_t value = varint_.value;
        switch (varint_use_) {
          case VarintUse::int_value: value_done(); break;
          case VarintUse::key_len:
          case VarintUse::text_len:
          case VarintUse::bytes_len:
            if (!declare(value)) goto too_large;
            if (varint_use_ == VarintUse::key_len) {
              // The key's value is next; its one byte was counted with the entry.
              stack_.back().key_next = false;
            }
            start_skip(value, varint_use_ == VarintUse::key_len    ? Skipped::key
                              : varint_use_ == VarintUse::text_len ? Skipped::text
                                                                   : Skipped::opaque);
            if (skip_ == 0) skip_done();
            break;
          case VarintUse::list_count:
          case VarintUse::dict_count: {
            const bool dict = varint_use_ == VarintUse::dict_count;
            const std::uint64_t unit = dict ? (legacy_ ? 3 : 2) : 1;
            if (!declare(value > UINT64_MAX / unit ? UINT64_MAX : value * unit)) goto too_large;
            if (value == 0) {
              value_done();
              break;
            }
            push(value, dict);
            if (dict && !legacy_) {
              start_varint(VarintUse::key_len);
            } else {
              state_ = State::tag;  // first item, or a legacy key (a string value)
            }
            break;
          }
          case VarintUse::tag_number:
            if (value > UINT32_MAX)
              return fail(ErrorCode::invalid_value, item_start_, "tag number exceeds 32 bits", used());
            if (!declare(1)) goto too_large;
            push(1, false);
            state_ = State::tag;
            break;
        }
        break;
      }
      case State::skip: {
        const std::uint64_t n = std::min<std::uint64_t>(skip_, static_cast<std::uint64_t>(end - p));
        if (skipped_ != Skipped::opaque && limits_.validate_utf8) {
          // Checked piece by piece, so a bad string is refused before the
          // rest of it (and of the record) has arrived.
          std::uint64_t bad = utf8_.feed(p, static_cast<std::size_t>(n));
          if (bad == detail::Utf8StreamValidator::valid && n == skip_) bad = utf8_.finish();
          if (bad != detail::Utf8StreamValidator::valid)
            return fail(ErrorCode::invalid_utf8, text_start_ + bad,
                        skipped_ == Skipped::key ? "dict key is not valid UTF-8" : "string is not valid UTF-8",
                        used() + n);
        }
        p += n;
        pos_ += n;
        outstanding_ -= n;
        skip_ -= n;
        if (skip_ == 0) skip_done();
        break;
      }
      case State::done: break;
    }
    if (state_ == State::done) {
      record_size_ = pos_;
      reset();
      return {Status::complete, used()};
    }
    continue;
  too_large:
    return fail(ErrorCode::limit_exceeded, item_start_,
                "record limit of " + std::to_string(limits_.max_record_bytes) +
                    " bytes exceeded: what was declared so far needs at least " +
                    (pos_ + outstanding_ == UINT64_MAX ? std::string("2^64") : std::to_string(pos_ + outstanding_)) +
                    " bytes",
                used());
  }
  return {Status::need_more, used()};
}

}  // namespace crous
