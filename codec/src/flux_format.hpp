#pragma once
// Tag numbers and primitive codings shared by the FLUX encoder, decoder and scanner.
#include <cstdint>
#include <bit>
#include <cstring>

namespace crous::detail {

inline constexpr std::uint8_t flux_magic[4] = {'F', 'L', 'U', 'X'};
inline constexpr std::uint8_t crou_magic[4] = {'C', 'R', 'O', 'U'};
inline constexpr std::uint8_t flux_version = 1;
inline constexpr std::uint8_t crou_version = 2;

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

inline constexpr unsigned max_varint_bytes = 10;

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

inline unsigned varint_size(std::uint64_t v) noexcept {
  unsigned n = 1;
  while (v >= 0x80) {
    v >>= 7;
    ++n;
  }
  return n;
}

inline std::uint64_t load_u64_le(const std::uint8_t* p) noexcept {
  std::uint64_t v;
  std::memcpy(&v, p, 8);
  if constexpr (std::endian::native == std::endian::big) v = __builtin_bswap64(v);
  return v;
}

}  // namespace crous::detail
