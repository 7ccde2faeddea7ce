#pragma once
// Hex digits of CROUT bytes values: written lower case, read in either case.
#include <cstdint>

namespace crous::detail {

inline constexpr char hex_digits[] = "0123456789abcdef";

// -1 for anything that is not a hex digit.
inline int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace crous::detail
