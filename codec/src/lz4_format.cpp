#include <lz4.h>

#include <stdexcept>
#include <string>

#include "crous/lz4_stream.hpp"

namespace crous {

void Lz4Format::validate() const {
  if (size_bytes != 1 && size_bytes != 2 && size_bytes != 4)
    throw std::invalid_argument("LZ4 stream: size prefix width must be 1, 2 or 4 bytes, not " + std::to_string(size_bytes));
  if (page_size < min_page_size || page_size > max_page_size)
    throw std::invalid_argument("LZ4 stream: page size must be between " + std::to_string(min_page_size) + " and " +
                                std::to_string(max_page_size) + " bytes, not " + std::to_string(page_size));
  // python-lz4 refuses the same pairs: a block of a full page that does not
  // compress could not be sized.
  const std::uint64_t widest = (std::uint64_t{1} << (8 * size_bytes)) - 1;
  if (block_bound() > widest)
    throw std::invalid_argument("LZ4 stream: a " + std::to_string(page_size) + "-byte page can compress to " +
                                std::to_string(block_bound()) + " bytes, more than a " + std::to_string(size_bytes) +
                                "-byte size prefix can say (" + std::to_string(widest) + ")");
}

std::size_t Lz4Format::block_bound() const {
  // max_page_size is far below LZ4_MAX_INPUT_SIZE, so the bound is never 0
  // for a valid format; an unvalidated huge page_size gives 0 here.
  return page_size > LZ4_MAX_INPUT_SIZE ? 0 : static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(page_size)));
}

}  // namespace crous
