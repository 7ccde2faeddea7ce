#pragma once
// The FLUX varint rule, for the record scanner (which keeps a
// VarintAccumulator in its state, hence a header here rather than in src/).
// The rest of the FLUX grammar, and the whole-buffer varint readers built on
// this, are in src/flux_format.hpp.
#include <cstdint>

namespace crous::detail {

// LEB128: 7 bits a byte, least significant first; a set high bit says
// another byte follows. At most 10 bytes, and the 10th may only hold bit 63
// (0 or 1): anything more is varint_too_long.
inline constexpr unsigned max_varint_bytes = 10;

// Byte `index` (from 0) of a varint: whether it breaks the 64-bit rule, and
// the bits it adds.
constexpr bool varint_byte_too_long(unsigned index, std::uint8_t b) noexcept {
  return index == max_varint_bytes - 1 && b > 1;
}
constexpr std::uint64_t varint_byte_bits(unsigned index, std::uint8_t b) noexcept {
  return static_cast<std::uint64_t>(b & 0x7F) << (7 * index);
}

// A varint read one byte at a time, for readers that get bytes piecemeal
// (the scanner's byte machine, the lazy reader).
struct VarintAccumulator {
  enum class Step : std::uint8_t { more, done, too_long };

  std::uint64_t value = 0;
  std::uint8_t bytes = 0;  // taken so far

  Step add(std::uint8_t b) noexcept {
    if (varint_byte_too_long(bytes, b)) return Step::too_long;
    value |= varint_byte_bits(bytes, b);
    ++bytes;
    return (b & 0x80) != 0 ? Step::more : Step::done;
  }
};

}  // namespace crous::detail
