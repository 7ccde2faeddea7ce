#include "crous/json/peekable_input.hpp"

#include <algorithm>
#include <cstring>

namespace crous::json {

std::span<const std::uint8_t> PeekableInput::peek(std::size_t size) {
  while (peeked_.size() < size && !ended_) {
    const std::size_t have = peeked_.size();
    peeked_.resize(size);
    const std::size_t n = in_.read(peeked_.data() + have, size - have);
    peeked_.resize(have + n);
    ended_ = n == 0;
  }
  return {peeked_.data(), std::min(size, peeked_.size())};
}

std::size_t PeekableInput::read(std::uint8_t* dst, std::size_t size) {
  if (replayed_ < peeked_.size()) {
    const std::size_t n = std::min(size, peeked_.size() - replayed_);
    std::memcpy(dst, peeked_.data() + replayed_, n);
    replayed_ += n;
    if (replayed_ == peeked_.size()) {  // a peek may have held a whole LZ4 block
      peeked_.clear();
      peeked_.shrink_to_fit();
      replayed_ = 0;
    }
    return n;
  }
  if (ended_) return 0;
  return in_.read(dst, size);
}

}  // namespace crous::json
