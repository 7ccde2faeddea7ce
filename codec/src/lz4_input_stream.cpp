#include <algorithm>
#include <cstring>

#include "crous/lz4_stream.hpp"

namespace crous {

Lz4InputStream::Lz4InputStream(InputStream& upstream, Lz4Format format) : upstream_(upstream), decompressor_(format) {}

std::size_t Lz4InputStream::read(std::uint8_t* dst, std::size_t size) {
  if (size == 0) return 0;
  for (;;) {
    if (!block_.empty()) {
      const std::size_t n = std::min(size, block_.size());
      std::memcpy(dst, block_.data(), n);
      block_ = block_.subspan(n);
      return n;
    }
    if (auto block = decompressor_.next()) {
      block_ = *block;  // an empty block just goes round again
      continue;
    }
    if (ended_) return 0;
    if (!decompressor_.fill(upstream_)) {
      ended_ = true;
      decompressor_.finish();  // throws if the stream stopped inside a block
      return 0;
    }
  }
}

}  // namespace crous
