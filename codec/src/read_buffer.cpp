#include "crous/detail/read_buffer.hpp"

#include "crous/stream.hpp"

namespace crous::detail {

namespace {
constexpr std::size_t read_chunk = 64 * 1024;
}

bool ReadBuffer::refill(InputStream& in, std::size_t consumed) {
  if (eof_) return false;
  if (consumed != 0) {
    bytes_.erase(bytes_.begin(), bytes_.begin() + static_cast<std::ptrdiff_t>(consumed));
    stream_offset_ += consumed;
  }
  const std::size_t old = bytes_.size();
  bytes_.resize(old + read_chunk);
  const std::size_t n = in.read(bytes_.data() + old, read_chunk);
  bytes_.resize(old + n);
  eof_ = n == 0;
  return n != 0;
}

}  // namespace crous::detail
