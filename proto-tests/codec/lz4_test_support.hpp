#pragma once
// Helpers of the LZ4 stream tests: whole-stream compress/decompress through
// the push API, and a second decoder written here with LZ4's one-shot block
// API, so that our writer is checked against something other than our reader.
#include <lz4.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "crous/flux.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/record_stream.hpp"
#include "crous/stream.hpp"

namespace crous::test {

// The golden streams are named NAME_pageP_sizeW.lz4s.
inline Lz4Format golden_lz4_format(const std::filesystem::path& path) {
  const std::string name = path.stem().string();
  const auto page = name.rfind("_page");
  const auto size = name.rfind("_size");
  if (page == std::string::npos || size == std::string::npos || size < page)
    throw std::runtime_error("golden LZ4 file name without _pageP_sizeW: " + name);
  Lz4Format format;
  format.page_size = std::stoul(name.substr(page + 5, size - page - 5));
  format.size_bytes = static_cast<unsigned>(std::stoul(name.substr(size + 5)));
  return format;
}

// The records of a FLUX stream, as their bytes.
inline std::vector<Bytes> split_records(ByteView flux) {
  MemoryInputStream in(flux);
  RecordReader reader(in);
  std::vector<Bytes> records;
  while (auto raw = reader.next_raw()) records.emplace_back(raw->begin(), raw->end());
  return records;
}

// Every piece written, with a flush (the end of a block) after every
// `flush_every` pieces and at the end.
inline Bytes lz4_compress(const std::vector<Bytes>& pieces, const Lz4Format& format, std::size_t flush_every = 1) {
  Lz4StreamCompressor compressor(format);
  Bytes out;
  for (std::size_t i = 0; i < pieces.size(); ++i) {
    compressor.write(pieces[i], out);
    if ((i + 1) % flush_every == 0) compressor.flush(out);
  }
  compressor.flush(out);
  return out;
}

// The whole stream through the push API, appended at once.
inline Bytes lz4_decompress(ByteView stream, const Lz4Format& format) {
  Lz4StreamDecompressor decompressor(format);
  decompressor.append(stream);
  Bytes out;
  while (auto block = decompressor.next()) out.insert(out.end(), block->begin(), block->end());
  decompressor.finish();
  return out;
}

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
inline Bytes independent_lz4_decode(ByteView stream, const Lz4Format& format,
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

// The sizes of the blocks of a stream, compressed (read off the prefixes).
inline std::vector<std::size_t> lz4_block_sizes(ByteView stream, const Lz4Format& format) {
  std::vector<std::size_t> sizes;
  for (std::size_t pos = 0; pos + format.size_bytes <= stream.size();) {
    std::size_t size = 0;
    for (unsigned i = 0; i < format.size_bytes; ++i) size |= std::size_t{stream[pos + i]} << (8 * i);
    sizes.push_back(size);
    pos += format.size_bytes + size;
  }
  return sizes;
}

}  // namespace crous::test
