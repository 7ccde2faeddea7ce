// LZ4 streams against python-lz4's lz4.stream: the golden streams it wrote
// (../shared/golden/lz4) decode to their FLUX, and what we write decodes
// with a decoder written here on LZ4's block API.
#include <gtest/gtest.h>
#include <lz4.h>

#include <functional>

#include "crous/lz4_stream.hpp"
#include "crous/record_stream.hpp"
#include "lz4_test_support.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

using test::golden_lz4_format;
using test::independent_lz4_decode;
using test::Lz4Dictionary;

struct GoldenStream {
  std::string name;
  Lz4Format format;
  Bytes compressed;
  Bytes flux;
};

// Fails the test (via golden_files) when the folder or its files are missing.
std::vector<GoldenStream> golden_streams() {
  std::vector<GoldenStream> streams;
  for (const auto& path : test::golden_files("lz4", ".lz4s")) {
    auto flux_path = path;
    flux_path.replace_extension(".flux");
    streams.push_back({path.stem().string(), golden_lz4_format(path), test::read_file(path), test::read_file(flux_path)});
  }
  return streams;
}

// One byte per read, as the slowest socket would deliver them.
CallbackInputStream trickle(ByteView data, std::size_t& pos) {
  return CallbackInputStream([data, &pos](std::uint8_t* dst, std::size_t size) -> std::size_t {
    if (size == 0 || pos == data.size()) return 0;
    *dst = data[pos++];
    return 1;
  });
}

TEST(Lz4Golden, EveryPythonStreamDecodesToItsFlux) {
  const auto streams = golden_streams();
  EXPECT_GE(streams.size(), 6u);
  for (const auto& golden : streams) {
    SCOPED_TRACE(golden.name);
    // Push API, all at once and one byte at a time.
    EXPECT_EQ(test::lz4_decompress(golden.compressed, golden.format), golden.flux);
    Lz4StreamDecompressor bytewise(golden.format);
    Bytes out;
    for (std::uint8_t byte : golden.compressed) {
      bytewise.append({&byte, 1});
      while (auto block = bytewise.next()) out.insert(out.end(), block->begin(), block->end());
    }
    bytewise.finish();
    EXPECT_EQ(out, golden.flux);
    EXPECT_EQ(bytewise.offset(), golden.compressed.size());
    EXPECT_EQ(bytewise.bytes_decompressed(), golden.flux.size());
    // The adapter over a trickle, read by RecordReader: the same records.
    std::size_t pos = 0;
    auto upstream = trickle(golden.compressed, pos);
    Lz4InputStream in(upstream, golden.format);
    RecordReader compressed_reader(in);
    MemoryInputStream plain(golden.flux);
    RecordReader plain_reader(plain);
    std::size_t records = 0;
    while (auto record = plain_reader.next()) {
      const auto got = compressed_reader.next();
      ASSERT_TRUE(got);
      EXPECT_EQ(*got, *record);
      ++records;
    }
    EXPECT_FALSE(compressed_reader.next());
    EXPECT_GT(records, 0u);
  }
}

TEST(Lz4Golden, TheIndependentDecoderReadsThePythonStreamsToo) {
  for (const auto& golden : golden_streams()) {
    SCOPED_TRACE(golden.name);
    EXPECT_EQ(independent_lz4_decode(golden.compressed, golden.format), golden.flux);
  }
}

// python-lz4 made one compress() call per record (a record longer than a
// page in page-sized pieces): our write(record) + flush() is the same
// sequence of blocks. The bytes are LZ4's, so they match only when the LZ4
// library behaves as the one python-lz4 used; whatever the version, ours
// must decode with the independent decoder and have the same blocks.
TEST(Lz4Golden, OurWriterGivesTheSameBlocksAsPythonsAndDecodesIndependently) {
  std::size_t identical = 0;
  const auto streams = golden_streams();
  for (const auto& golden : streams) {
    SCOPED_TRACE(golden.name);
    const Bytes ours = test::lz4_compress(test::split_records(golden.flux), golden.format);
    EXPECT_EQ(independent_lz4_decode(ours, golden.format), golden.flux);
    EXPECT_EQ(test::lz4_block_sizes(ours, golden.format).size(), test::lz4_block_sizes(golden.compressed, golden.format).size());
    if (ours == golden.compressed) ++identical;
  }
  // Verified with Debian's LZ4 1.9.4: every golden stream is byte-identical.
  // Another LZ4 may choose other matches (equally valid), so only there is a
  // difference tolerated.
  if (LZ4_versionNumber() == 10904) {
    EXPECT_EQ(identical, streams.size());
  }
  RecordProperty("byte_identical_golden_streams", std::to_string(identical) + " of " + std::to_string(streams.size()));
}

// Random records, several page sizes, prefix widths and flush policies:
// whatever our writer produces, the independent decoder reads back.
TEST(Lz4Interop, OurStreamsDecodeWithTheBlockApi) {
  test::RandomValueGenerator generator(1212);
  std::vector<Bytes> records;
  for (int i = 0; i < 400; ++i) records.push_back(encode_flux(generator.next()));
  records.push_back(Bytes(20000, 'x'));  // longer than the small pages
  records.push_back(encode_flux(Value(std::string(9000, 'y'))));
  Bytes plain;
  for (const auto& r : records) plain.insert(plain.end(), r.begin(), r.end());
  for (const Lz4Format format : {Lz4Format{128, 1}, Lz4Format{4096, 2}, Lz4Format{4096, 4}, Lz4Format{65536, 4}}) {
    for (std::size_t flush_every : {std::size_t{1}, std::size_t{5}, records.size() + 1}) {
      SCOPED_TRACE("page " + std::to_string(format.page_size) + " width " + std::to_string(format.size_bytes) + " flush every " +
                   std::to_string(flush_every));
      const Bytes stream = test::lz4_compress(records, format, flush_every);
      EXPECT_EQ(independent_lz4_decode(stream, format), plain);
      EXPECT_EQ(test::lz4_decompress(stream, format), plain);
    }
  }
}

// The case that makes "the previous block is the dictionary" not quite the
// rule: a full block in page 0, then a block in page 1 (contiguous in the
// writer's double buffer, so LZ4 treats both as one prefix), then a short
// block back in page 0 that repeats the end of the first block. LZ4's
// compressor keeps that tail as dictionary (it has not been overwritten)
// and copies from it; a decoder must offer it too, as python-lz4's does
// (LZ4_decompress_safe_continue over one two-page buffer), and ours does.
TEST(Lz4Interop, AShortBlockMayCopyFromTheFullPageBeforeThePreviousBlock) {
  const Lz4Format format{4096, 4};
  std::mt19937_64 rng(7);
  Bytes full(format.page_size);
  for (auto& b : full) b = static_cast<std::uint8_t>(rng());
  Bytes middle(300);
  for (auto& b : middle) b = static_cast<std::uint8_t>(rng());
  const Bytes tail(full.begin() + 3000, full.begin() + 3600);
  const Bytes stream = test::lz4_compress({full, middle, tail}, format);
  const auto sizes = test::lz4_block_sizes(stream, format);
  ASSERT_EQ(sizes.size(), 3u);
  EXPECT_LT(sizes[2], 100u) << "the third block should be a copy from the first";

  Bytes plain = full;
  plain.insert(plain.end(), middle.begin(), middle.end());
  plain.insert(plain.end(), tail.begin(), tail.end());
  EXPECT_EQ(test::lz4_decompress(stream, format), plain);
  EXPECT_EQ(independent_lz4_decode(stream, format), plain);
  EXPECT_THROW(independent_lz4_decode(stream, format, Lz4Dictionary::previous_block), std::runtime_error);
}

}  // namespace
}  // namespace crous
