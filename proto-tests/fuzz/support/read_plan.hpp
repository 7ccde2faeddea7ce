#pragma once
// The sizes of successive reads, 1..max_read bytes each, drawn from a seed:
// the same seed gives the same chunking to every consumer of a harness.
#include <cstddef>
#include <cstdint>

namespace crous::fuzz {

class ReadPlan {
 public:
  ReadPlan(std::uint64_t seed, std::size_t max_read) noexcept : state_(seed * 0x9E3779B97F4A7C15ull + 1), max_read_(max_read) {}

  std::size_t next() noexcept {
    // xorshift64: cheap, and good enough to vary the read sizes.
    state_ ^= state_ << 13;
    state_ ^= state_ >> 7;
    state_ ^= state_ << 17;
    return 1 + static_cast<std::size_t>(state_ % max_read_);
  }

 private:
  std::uint64_t state_;
  std::size_t max_read_;
};

}  // namespace crous::fuzz
