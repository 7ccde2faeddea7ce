#pragma once
// The FLUX v1 / legacy CROU v2 grammar, written once: tag numbers, what each
// tag starts, and the primitive codings (varints, zigzag, little-endian
// words). Everything in the codec that reads or writes FLUX -- the encoders,
// the parser (flux_parser.hpp), the record scanner, the lazy reader and the
// annotator -- takes its rules from this file.
#include <cstddef>
#include <cstdint>
#include <bit>
#include <cstring>

#include "crous/detail/varint.hpp"
#include "crous/flux.hpp"

namespace crous::detail {

inline constexpr std::uint8_t flux_magic[4] = {'F', 'L', 'U', 'X'};
inline constexpr std::uint8_t crou_magic[4] = {'C', 'R', 'O', 'U'};
inline constexpr std::uint8_t flux_version = 1;
inline constexpr std::uint8_t crou_version = 2;

// What the writers put first: magic, version, flags (none).
inline constexpr std::uint8_t flux_v1_header[flux_header_size] = {'F', 'L', 'U', 'X', flux_version, 0};

// True when the flux_header_size bytes at p start a FLUX v1 record (the
// flags byte is ignored, as by every reader).
inline bool is_flux_v1_header(const std::uint8_t* p) noexcept {
  return std::memcmp(p, flux_magic, 4) == 0 && p[4] == flux_version;
}

namespace flux_tag {
inline constexpr std::uint8_t null = 0x00, false_ = 0x01, true_ = 0x02, integer = 0x03, floating = 0x04,
                              string = 0x05, bytes = 0x06, list = 0x07, dict = 0x08, tagged = 0x09, tuple = 0x0A;
}
namespace crou_tag {
inline constexpr std::uint8_t null = 0x00, false_ = 0x01, true_ = 0x02, integer = 0x03, floating = 0x04,
                              string = 0x05, bytes = 0x06, list = 0x07, tuple = 0x08, dict = 0x09, tagged = 0x0A;
}
// Legacy one-byte small ints, accepted in FLUX too: 0x10..0x28 = 0..24, 0x29..0x48 = -1..-32.
inline constexpr std::uint8_t small_int_first = 0x10, small_int_last = 0x48;
inline std::int64_t small_int_value(std::uint8_t tag) noexcept {
  return tag <= 0x28 ? tag - 0x10 : -1 - (tag - 0x29);
}

// What a value tag byte starts, in either tag set. Readers dispatch on this
// rather than on tag bytes, so the two tag sets share one set of cases
// without borrowing byte values as private markers, and a byte that no case
// accepts is `unknown` to every reader alike.
// FLUX's own tags are numbered as their kinds, and the other kinds lie past
// any byte value: the parser's hot path switches on a FLUX tag byte cast to
// TagKind, with no table lookup, and its default case sorts out the rest
// (small ints, unknown bytes) as flux_tag_kind does.
enum class TagKind : std::uint16_t {
  null = flux_tag::null,
  false_ = flux_tag::false_,
  true_ = flux_tag::true_,
  varint_int = flux_tag::integer,  // FLUX int: a zigzag varint
  floating = flux_tag::floating,   // 8 bytes, little-endian IEEE 754
  string = flux_tag::string,       // varint length, then UTF-8
  bytes = flux_tag::bytes,         // varint length, then the octets
  list = flux_tag::list,           // varint count, then the items
  dict = flux_tag::dict,           // varint count, then key + value per entry (a legacy key is a whole string value)
  tagged = flux_tag::tagged,       // varint tag number (32 bits), then one value
  tuple = flux_tag::tuple,
  small_int = 0x100,  // the tag is the value (small_int_value)
  fixed_int,          // legacy CROU int: 8 bytes, little-endian two's complement
  unknown,
};

constexpr TagKind flux_tag_kind(std::uint8_t tag) noexcept {
  if (tag <= flux_tag::tuple) return static_cast<TagKind>(tag);
  return tag >= small_int_first && tag <= small_int_last ? TagKind::small_int : TagKind::unknown;
}

struct TagKinds {
  TagKind of[256];
};

constexpr TagKinds make_tag_kinds(bool legacy) {
  TagKinds t{};
  for (unsigned b = 0; b < 256; ++b) t.of[b] = flux_tag_kind(static_cast<std::uint8_t>(b));
  if (legacy) {
    t.of[crou_tag::null] = TagKind::null;
    t.of[crou_tag::false_] = TagKind::false_;
    t.of[crou_tag::true_] = TagKind::true_;
    t.of[crou_tag::integer] = TagKind::fixed_int;
    t.of[crou_tag::floating] = TagKind::floating;
    t.of[crou_tag::string] = TagKind::string;
    t.of[crou_tag::bytes] = TagKind::bytes;
    t.of[crou_tag::list] = TagKind::list;
    t.of[crou_tag::tuple] = TagKind::tuple;
    t.of[crou_tag::dict] = TagKind::dict;
    t.of[crou_tag::tagged] = TagKind::tagged;
  }
  return t;
}

inline constexpr TagKinds flux_tag_kinds = make_tag_kinds(false);
inline constexpr TagKinds crou_tag_kinds = make_tag_kinds(true);

inline const char* unknown_tag_message(bool legacy) noexcept {
  return legacy ? "unknown legacy value tag 0x" : "unknown value tag 0x";
}
inline constexpr const char* legacy_key_tag_message = "legacy dict key must be a string (tag 0x05), got 0x";

// ---- Varints (the rule itself: crous/detail/varint.hpp) ----

struct VarintRead {
  const std::uint8_t* next;  // past the varint; nullptr when it is not readable (varint_cut_short tells why)
  std::uint64_t value;
};

// Any varint, a byte at a time (p <= end).
inline VarintRead read_long_varint(const std::uint8_t* p, const std::uint8_t* end) noexcept {
  const auto present = static_cast<std::size_t>(end - p);
  std::uint64_t v = 0;
  for (unsigned i = 0; i < max_varint_bytes; ++i) {
    if (i >= present) break;
    const std::uint8_t b = p[i];
    if (varint_byte_too_long(i, b)) break;
    v |= varint_byte_bits(i, b);
    if ((b & 0x80) == 0) return {p + i + 1, v};
  }
  return {nullptr, 0};
}

// Reads the varint at p without reading at or past end (p <= end): one
// byte inline, longer ones out of line.
[[gnu::always_inline]] inline VarintRead read_varint(const std::uint8_t* p, const std::uint8_t* end) noexcept {
  if (p < end && *p < 0x80) [[likely]]
    return {p + 1, *p};
  return read_long_varint(p, end);
}

// The parser's inline part: up to three bytes (counts, lengths, ids: nearly
// all varints) without a loop; nullptr for anything else (longer, cut by
// end, or too long), which read_long_varint then reads.
[[gnu::always_inline]] inline VarintRead read_short_varint(const std::uint8_t* p, const std::uint8_t* end) noexcept {
  if (p < end && *p < 0x80) [[likely]]
    return {p + 1, *p};
  if (end - p >= 3) {
    const std::uint64_t b1 = p[1];
    if (b1 < 0x80) return {p + 2, varint_byte_bits(0, p[0]) | (b1 << 7)};
    const std::uint64_t b2 = p[2];
    if (b2 < 0x80) return {p + 3, varint_byte_bits(0, p[0]) | varint_byte_bits(1, static_cast<std::uint8_t>(b1)) | (b2 << 14)};
  }
  return {nullptr, 0};
}

// Why read_varint(p, end) gave nullptr: true when the bytes end inside the
// varint, false when it runs past 64 bits. (Ten bytes present and no end
// found can only mean a 10th byte above 1.)
inline bool varint_cut_short(const std::uint8_t* p, const std::uint8_t* end) noexcept {
  return end - p < static_cast<std::ptrdiff_t>(max_varint_bytes);
}

inline std::uint64_t zigzag(std::int64_t n) noexcept {
  return (static_cast<std::uint64_t>(n) << 1) ^ static_cast<std::uint64_t>(n >> 63);
}
inline std::int64_t unzigzag(std::uint64_t u) noexcept {
  return static_cast<std::int64_t>((u >> 1) ^ (~(u & 1) + 1));
}

// Writes a LEB128 varint at p (room for 10 bytes required); returns the end.
inline std::uint8_t* put_varint(std::uint8_t* p, std::uint64_t v) noexcept {
  while (v >= 0x80) {
    *p++ = static_cast<std::uint8_t>(v | 0x80);
    v >>= 7;
  }
  *p++ = static_cast<std::uint8_t>(v);
  return p;
}

// Appends a varint to a byte vector (Bytes, or the writers' scratch buffers).
template <class ByteVector>
void append_varint(ByteVector& out, std::uint64_t v) {
  std::uint8_t buffer[max_varint_bytes];
  out.insert(out.end(), buffer, put_varint(buffer, v));
}

inline unsigned varint_size(std::uint64_t v) noexcept {
  unsigned n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

// Floats (and legacy ints) are 8 bytes, little-endian.
inline std::uint64_t load_u64_le(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}
inline void store_u64_le(std::uint8_t* p, std::uint64_t v) noexcept {
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
}

}  // namespace crous::detail
