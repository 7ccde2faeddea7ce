#pragma once
// An InputStream that hands out its bytes in the sizes a ReadPlan draws, as
// a socket or pipe would, and counts the reads.
#include <algorithm>
#include <cstring>

#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "read_plan.hpp"

namespace crous::fuzz {

class PlannedInputStream final : public InputStream {
 public:
  PlannedInputStream(ByteView data, ReadPlan plan) noexcept : data_(data), plan_(plan) {}

  std::size_t read(std::uint8_t* dst, std::size_t size) override {
    const std::size_t n = std::min({size, plan_.next(), data_.size() - pos_});
    if (n > 0) std::memcpy(dst, data_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  ByteView data_;
  ReadPlan plan_;
  std::size_t pos_ = 0;
};

}  // namespace crous::fuzz
