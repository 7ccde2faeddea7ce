#pragma once
// Helpers of the LZ4 stream tests: golden file names, whole-stream
// compress/decompress through the push API, block sizes.
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
#include "lz4_reference_decoder.hpp"

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
