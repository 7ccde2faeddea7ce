#pragma once
// The stream harnesses read their knobs from the first bytes of the input,
// so the fuzzer explores chunkings and limits along with the data:
//   byte 0  largest read (1..256 bytes)
//   byte 1  seed of the read sizes
//   byte 2  0: default max_record_bytes; else 8 * byte (small, to hit the limit)
//   byte 3  bits 0-4: 0 = default max_depth, else that depth; bits 5-7: harness mode
// then the stream itself. Shorter inputs get defaults for the missing knobs.
#include <cstddef>
#include <cstdint>

#include "crous/flux.hpp"
#include "crous/limits.hpp"

namespace crous::fuzz {

struct StreamFuzzInput {
  static constexpr std::size_t prefix_size = 4;

  StreamFuzzInput(const std::uint8_t* data, std::size_t size) {
    const auto knob = [&](std::size_t i) -> std::uint8_t { return i < size ? data[i] : 0; };
    max_read = std::size_t{knob(0)} + 1;
    seed = knob(1);
    if (knob(2) != 0) limits.max_record_bytes = std::size_t{knob(2)} * 8;
    if ((knob(3) & 31) != 0) limits.max_depth = knob(3) & 31;
    mode = knob(3) >> 5;
    stream = size > prefix_size ? ByteView(data + prefix_size, size - prefix_size) : ByteView();
  }

  std::size_t max_read;
  std::uint64_t seed;
  Limits limits;
  unsigned mode;
  ByteView stream;
};

}  // namespace crous::fuzz
