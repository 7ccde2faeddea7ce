#pragma once
// A second LZ4 stream decoder, written on LZ4's one-shot block API
// (LZ4_decompress_safe_usingDict) with its own double buffer and dictionary
// bookkeeping rather than LZ4's streaming decoder, so that what our writer
// produces is checked against something other than our reader. Header-only,
// shared by the codec tests and the lz4_stream fuzz harness.
#include <lz4.h>

#include <algorithm>
#include <cstdint>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "crous/lz4_stream.hpp"

namespace crous::test {

// Which earlier bytes the independent decoder offers each block.
enum class Lz4Dictionary {
  // What python-lz4's writer may copy from: in its double buffer (two pages,
  // one allocation), the bytes that run on without a gap up to the end of
  // the previous block. That is the previous block, plus the block before
  // it when that one filled page 0 exactly and the previous block followed
  // it in page 1, minus what the new block itself overwrites. LZ4 offsets
  // reach back 64 KiB at most.
  writers_window,
  // The previous block alone: not enough in general (see the interop test).
  previous_block,
};

// Decodes a stream with LZ4_decompress_safe_usingDict, keeping its own
// double buffer and dictionary bookkeeping (not LZ4's streaming decoder).
// Throws std::runtime_error naming the block that fails.
inline Bytes independent_lz4_decode(std::span<const std::uint8_t> stream, const Lz4Format& format,
                                    Lz4Dictionary rule = Lz4Dictionary::writers_window) {
  const std::size_t page_size = format.page_size;
  std::vector<char> pages(2 * page_size);
  Bytes out;
  std::size_t pos = 0;
  unsigned page = 0;
  const char* run_start = nullptr;  // the gapless run of output that ends at prev_end
  const char* prev_start = nullptr;
  const char* prev_end = nullptr;
  for (std::size_t block = 0; pos < stream.size(); ++block) {
    if (stream.size() - pos < format.size_bytes) throw std::runtime_error("cut size prefix");
    std::size_t size = 0;
    for (unsigned i = 0; i < format.size_bytes; ++i) size |= std::size_t{stream[pos + i]} << (8 * i);
    pos += format.size_bytes;
    if (size == 0 || size > stream.size() - pos) throw std::runtime_error("bad size of block " + std::to_string(block));
    char* dst = pages.data() + page * page_size;
    const char* dict = nullptr;
    int dict_size = 0;
    if (prev_end != nullptr) {
      const char* from = rule == Lz4Dictionary::writers_window ? run_start : prev_start;
      from = std::max(from, prev_end - 65536);
      dict = from;
      dict_size = static_cast<int>(prev_end - from);
    }
    const int n = LZ4_decompress_safe_usingDict(reinterpret_cast<const char*>(stream.data() + pos), dst, static_cast<int>(size),
                                                static_cast<int>(page_size), dict, dict_size);
    if (n < 0) throw std::runtime_error("block " + std::to_string(block) + " does not decompress");
    out.insert(out.end(), dst, dst + n);
    if (dst != prev_end) run_start = dst;  // a gap: a new run starts here
    prev_start = dst;
    prev_end = dst + n;
    pos += size;
    page ^= 1;
  }
  return out;
}

}  // namespace crous::test
