#pragma once
// A stream whose first bytes can be looked at before anyone reads them:
// format detection peeks, then the reader gets every byte from the start.
#include <cstdint>
#include <span>
#include <vector>

#include "crous/stream.hpp"

namespace crous::json {

class PeekableInput final : public InputStream {
 public:
  explicit PeekableInput(InputStream& in) noexcept : in_(in) {}

  // The first `size` bytes of the stream, or all of it if it is shorter.
  // Only before the first read().
  std::span<const std::uint8_t> peek(std::size_t size);
  std::size_t read(std::uint8_t* dst, std::size_t size) override;

 private:
  InputStream& in_;
  std::vector<std::uint8_t> peeked_;  // replayed first
  std::size_t replayed_ = 0;
  bool ended_ = false;
};

}  // namespace crous::json
