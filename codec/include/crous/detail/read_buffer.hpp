#pragma once
// The buffer behind RecordReader and LazyReader: a window on an input stream
// that holds the unit being read (a record or an item) plus one read chunk.
#include <cstddef>
#include <cstdint>
#include <vector>

namespace crous {
class InputStream;
}

namespace crous::detail {

class ReadBuffer {
 public:
  const std::uint8_t* data() const noexcept { return bytes_.data(); }
  std::size_t size() const noexcept { return bytes_.size(); }
  std::uint8_t operator[](std::size_t i) const noexcept { return bytes_[i]; }
  // Stream offset of data()[0].
  std::uint64_t stream_offset() const noexcept { return stream_offset_; }

  // Drops the first `consumed` bytes (positions shift down by that much),
  // then appends up to one read chunk. False at end of stream.
  bool refill(InputStream& in, std::size_t consumed);

 private:
  std::vector<std::uint8_t> bytes_;
  std::uint64_t stream_offset_ = 0;
  bool eof_ = false;
};

}  // namespace crous::detail
