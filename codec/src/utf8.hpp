#pragma once
#include <cstddef>
#include <cstdint>

#include "crous/detail/utf8_stream.hpp"

namespace crous::detail {

// Returns the offset of the first byte that starts an invalid UTF-8 sequence
// (overlongs, surrogates and code points past U+10FFFF are invalid), or
// `size` when the whole range is valid.
std::size_t find_invalid_utf8(const std::uint8_t* data, std::size_t size) noexcept;

}  // namespace crous::detail
