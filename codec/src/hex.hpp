#pragma once
// Hex digits, for error messages, dumps and CROUT bytes values: written
// lower case, read in either case.
#include <cstdint>
#include <string>

namespace crous::detail {

inline constexpr char hex_digits[] = "0123456789abcdef";

// Two lower-case digits, as error messages quote a byte ("0x" not included).
inline std::string hex_byte(std::uint8_t b) { return {hex_digits[b >> 4], hex_digits[b & 15]}; }

// -1 for anything that is not a hex digit.
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace crous::detail
