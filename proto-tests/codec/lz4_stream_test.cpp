// LZ4 stream compression: the push API and the stream adapters round-trip
// records in any chunking, flush means "readable now", and hostile input is
// refused with the offset of the offending block in bounded memory.
#include <gtest/gtest.h>
#include <lz4.h>

#include <random>
#include <stdexcept>

#include "crous/flux.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/record_buffer.hpp"
#include "crous/record_stream.hpp"
#include "lz4_test_support.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

constexpr std::size_t KiB = 1024;
constexpr std::size_t MiB = 1024 * 1024;

std::string describe(const Lz4Format& format) {
  return "page " + std::to_string(format.page_size) + ", " + std::to_string(format.size_bytes) + "-byte sizes";
}

std::vector<Value> random_records(std::uint64_t seed, int count) {
  test::RandomValueGenerator generator(seed);
  std::vector<Value> records;
  for (int i = 0; i < count; ++i) records.push_back(generator.next());
  return records;
}

// An upstream that hands out at most `max_read` bytes per read.
class ChunkedInput final : public InputStream {
 public:
  ChunkedInput(ByteView data, std::size_t max_read) : data_(data), max_read_(max_read) {}
  std::size_t read(std::uint8_t* dst, std::size_t size) override {
    const std::size_t n = std::min({size, max_read_, data_.size() - pos_});
    std::copy_n(data_.data() + pos_, n, dst);
    pos_ += n;
    return n;
  }

 private:
  ByteView data_;
  std::size_t max_read_;
  std::size_t pos_ = 0;
};

// Records written with RecordWriter over Lz4OutputStream, a flush after
// every `flush_every` records (0: only at the end).
Bytes write_compressed(const std::vector<Value>& records, const Lz4Format& format, std::size_t flush_every) {
  Bytes wire;
  MemoryOutputStream sink(wire);
  Lz4OutputStream out(sink, format);
  RecordWriter writer(out);
  for (std::size_t i = 0; i < records.size(); ++i) {
    writer.write(records[i]);
    if (flush_every != 0 && (i + 1) % flush_every == 0) writer.flush();
  }
  writer.flush();
  return wire;
}

std::vector<Value> read_compressed(ByteView wire, const Lz4Format& format, std::size_t max_read = 64 * KiB) {
  ChunkedInput upstream(wire, max_read);
  Lz4InputStream in(upstream, format);
  RecordReader reader(in);
  std::vector<Value> records;
  while (auto record = reader.next()) records.push_back(std::move(*record));
  return records;
}

// ---- format ----

TEST(Lz4Format, ValidatesWidthPageSizeAndTheirFit) {
  EXPECT_NO_THROW((Lz4Format{}.validate()));
  EXPECT_NO_THROW((Lz4Format{128, 1}.validate()));       // bound 144 fits a byte
  EXPECT_THROW((Lz4Format{256, 1}.validate()), std::invalid_argument);  // bound 273 does not
  EXPECT_NO_THROW((Lz4Format{4096, 2}.validate()));
  EXPECT_THROW((Lz4Format{65536, 2}.validate()), std::invalid_argument);  // bound 65808
  EXPECT_NO_THROW((Lz4Format{4 * MiB, 4}.validate()));
  EXPECT_THROW((Lz4Format{4 * MiB + 1, 4}.validate()), std::invalid_argument);
  EXPECT_THROW((Lz4Format{63, 4}.validate()), std::invalid_argument);
  EXPECT_THROW((Lz4Format{4096, 3}.validate()), std::invalid_argument);
  EXPECT_THROW((Lz4Format{4096, 0}.validate()), std::invalid_argument);
  EXPECT_THROW(Lz4StreamCompressor(Lz4Format{4096, 3}), std::invalid_argument);
  EXPECT_THROW(Lz4StreamDecompressor(Lz4Format{32, 4}), std::invalid_argument);
  EXPECT_EQ((Lz4Format{65536, 4}.block_bound()), static_cast<std::size_t>(LZ4_compressBound(65536)));
  EXPECT_EQ((Lz4Format{65536, 4}.max_block_bytes()), 4 + static_cast<std::size_t>(LZ4_compressBound(65536)));
}

// ---- round trips ----

TEST(Lz4Stream, RandomRecordsRoundTripThroughTheAdaptersForEveryPageSizeAndWidth) {
  const auto records = random_records(12, 300);
  const std::vector<Lz4Format> formats{{128, 1}, {4 * KiB, 2}, {4 * KiB, 4}, {64 * KiB, 4}, {1 * MiB, 4}, {4 * MiB, 4}};
  for (const auto& format : formats) {
    for (std::size_t flush_every : {std::size_t{1}, std::size_t{16}, std::size_t{0}}) {
      SCOPED_TRACE(describe(format) + ", flush every " + std::to_string(flush_every));
      const Bytes wire = write_compressed(records, format, flush_every);
      EXPECT_EQ(read_compressed(wire, format), records);
    }
  }
}

TEST(Lz4Stream, RecordsLargerThanAPageSpanFullBlocks) {
  std::vector<Value> records{Value("before"), Value(std::string(5 * MiB + 17, 'q')), Value(Bytes(9 * KiB + 3, 0x5A)), Value("after")};
  for (const Lz4Format format : {Lz4Format{4 * KiB, 4}, Lz4Format{4 * MiB, 4}}) {
    SCOPED_TRACE(describe(format));
    const Bytes wire = write_compressed(records, format, 1);
    EXPECT_EQ(read_compressed(wire, format), records);
    // Every block holds at most a page, and full pages are whole blocks.
    Lz4StreamDecompressor decompressor(format);
    decompressor.append(wire);
    std::size_t full = 0;
    while (auto block = decompressor.next()) {
      EXPECT_LE(block->size(), format.page_size);
      full += block->size() == format.page_size;
    }
    EXPECT_GE(full, (5 * MiB) / format.page_size);
  }
}

TEST(Lz4Stream, OneByteReadsOnBothSides) {
  const auto records = random_records(3, 120);
  const Lz4Format format{4 * KiB, 2};
  const Bytes wire = write_compressed(records, format, 7);
  EXPECT_EQ(read_compressed(wire, format, 1), records);  // upstream: one byte per read

  Bytes plain;
  for (const auto& record : records) encode_flux(record, plain);
  ChunkedInput upstream(wire, 1);
  Lz4InputStream in(upstream, format);
  Bytes got;
  std::uint8_t byte;
  while (in.read(&byte, 1) == 1) got.push_back(byte);  // downstream: one byte per read
  EXPECT_EQ(got, plain);
  EXPECT_EQ(in.read(&byte, 1), 0u);  // the end stays the end
}

TEST(Lz4Stream, BlockBoundariesFallInsideRecordsWithoutFlushes) {
  std::mt19937_64 rng(5);
  std::vector<Value> records;
  for (int i = 0; i < 60; ++i) records.push_back(Value(std::string(1 + rng() % 10000, static_cast<char>('a' + i % 26))));
  const Lz4Format format{4 * KiB, 4};
  const Bytes wire = write_compressed(records, format, 0);
  EXPECT_EQ(read_compressed(wire, format), records);

  // Where blocks end, in the uncompressed stream: mostly not where records do.
  std::vector<std::uint64_t> record_ends;
  std::uint64_t at = 0;
  for (const auto& record : records) record_ends.push_back(at += encode_flux(record).size());
  Lz4StreamDecompressor decompressor(format);
  decompressor.append(wire);
  std::uint64_t end = 0;
  std::size_t inside = 0;
  while (auto block = decompressor.next()) {
    end += block->size();
    inside += !std::binary_search(record_ends.begin(), record_ends.end(), end);
  }
  EXPECT_GT(inside, 10u);
}

// A flush makes every record written so far readable by the peer from the
// bytes it has: whole blocks only, nothing held back.
TEST(Lz4Stream, FlushAfterEachRecordMakesItReadableNow) {
  const auto records = random_records(21, 80);
  const Lz4Format format{64 * KiB, 4};
  Bytes wire;
  MemoryOutputStream sink(wire);
  Lz4OutputStream out(sink, format);
  RecordWriter writer(out);
  Lz4StreamDecompressor peer(format);
  RecordBuffer framing;
  std::size_t seen = 0;
  for (std::size_t i = 0; i < records.size(); ++i) {
    writer.write(records[i]);
    writer.flush();
    EXPECT_EQ(out.compressor().pending(), 0u);
    peer.append({wire.data() + seen, wire.size() - seen});
    seen = wire.size();
    while (auto block = peer.next()) framing.append(*block);
    EXPECT_EQ(peer.buffered(), 0u);
    EXPECT_NO_THROW(peer.finish());
    std::size_t got = 0;
    while (auto record = framing.next()) {
      EXPECT_EQ(decode_flux(*record), records[i]);
      ++got;
    }
    EXPECT_EQ(got, 1u) << "record " << i;
  }
  EXPECT_EQ(out.compressor().bytes_compressed(), wire.size());
}

TEST(Lz4Stream, PushApiAndOutputStreamWriteTheSameBytes) {
  const auto records = random_records(8, 200);
  const Lz4Format format{4 * KiB, 4};
  std::vector<Bytes> encoded;
  for (const auto& record : records) encoded.push_back(encode_flux(record));
  EXPECT_EQ(write_compressed(records, format, 3), test::lz4_compress(encoded, format, 3));
  EXPECT_EQ(write_compressed(records, format, 0), test::lz4_compress(encoded, format, encoded.size() + 1));
}

TEST(Lz4Stream, CompressorAccounting) {
  const Lz4Format format{4 * KiB, 4};
  Lz4StreamCompressor compressor(format);
  EXPECT_GE(compressor.memory(), 2 * format.page_size);
  EXPECT_LE(compressor.memory(), 2 * format.page_size + 32 * KiB);  // + LZ4's 16 KiB state
  Bytes out;
  const Bytes data(5000, 'z');
  compressor.write(data, out);
  EXPECT_EQ(compressor.pending(), 5000 - format.page_size);  // one full page left as a block
  EXPECT_EQ(test::lz4_block_sizes(out, format).size(), 1u);
  compressor.flush(out);
  EXPECT_EQ(compressor.pending(), 0u);
  compressor.flush(out);  // nothing pending: no empty block
  EXPECT_EQ(test::lz4_block_sizes(out, format).size(), 2u);
  EXPECT_EQ(compressor.bytes_written(), 5000u);
  EXPECT_EQ(compressor.bytes_compressed(), out.size());
  EXPECT_EQ(test::lz4_decompress(out, format), data);
}

TEST(Lz4Stream, SmallSimilarRecordsCompressTogether) {
  // The point of the streaming dictionary: each record's block copies from
  // the record before, so a flush per record still pays off.
  std::vector<Bytes> records;
  for (int i = 0; i < 500; ++i)
    records.push_back(encode_flux(Value(Dict{{"id", i}, {"name", "user_" + std::to_string(i)}, {"email", "user" + std::to_string(i) + "@example.com"}, {"active", true}})));
  std::size_t plain = 0;
  for (const auto& r : records) plain += r.size();
  const Bytes wire = test::lz4_compress(records, Lz4Format{}, 1);
  EXPECT_LT(wire.size(), plain / 2);
}

// ---- hostile input ----

struct Failure {
  ErrorCode code;
  std::size_t offset;
  std::string message;
};

// The error of a compressed stream, the same through the push API (all at
// once) and through the adapter fed one byte per read.
Failure failure_of(ByteView wire, const Lz4Format& format) {
  std::optional<Failure> pushed;
  try {
    test::lz4_decompress(wire, format);
  } catch (const DecodeError& e) {
    pushed = Failure{e.code(), e.offset(), e.message()};
  }
  std::optional<Failure> streamed;
  try {
    ChunkedInput upstream(wire, 1);
    Lz4InputStream in(upstream, format);
    std::uint8_t buffer[4096];
    while (in.read(buffer, sizeof buffer) != 0) {
    }
  } catch (const DecodeError& e) {
    streamed = Failure{e.code(), e.offset(), e.message()};
  }
  if (!pushed || !streamed) {
    ADD_FAILURE() << "no error: push API " << pushed.has_value() << ", adapter " << streamed.has_value();
    return {ErrorCode::usage, 0, ""};
  }
  EXPECT_EQ(pushed->code, streamed->code);
  EXPECT_EQ(pushed->offset, streamed->offset);
  EXPECT_EQ(pushed->message, streamed->message);
  return *pushed;
}

Bytes prefix(std::size_t size, unsigned width) {
  Bytes out;
  for (unsigned i = 0; i < width; ++i) out.push_back(static_cast<std::uint8_t>(size >> (8 * i)));
  return out;
}

Bytes cat(std::initializer_list<Bytes> parts) {
  Bytes out;
  for (const auto& part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// One block made by LZ4's one-shot compressor (no dictionary).
Bytes raw_block(const Bytes& data) {
  Bytes block(static_cast<std::size_t>(LZ4_compressBound(static_cast<int>(data.size()))));
  const int n = LZ4_compress_default(reinterpret_cast<const char*>(data.data()), reinterpret_cast<char*>(block.data()),
                                     static_cast<int>(data.size()), static_cast<int>(block.size()));
  block.resize(static_cast<std::size_t>(n));
  return block;
}

const Lz4Format hostile_format{4 * KiB, 4};

// A valid first block, so that offsets are not trivially 0.
Bytes good_start() { return test::lz4_compress({Bytes{'h', 'e', 'l', 'l', 'o'}}, hostile_format); }

TEST(Lz4Hostile, SizePrefixBeyondTheBoundIsRefusedAtOnce) {
  const std::size_t bound = hostile_format.block_bound();
  const Bytes start = good_start();
  const auto failure = failure_of(cat({start, prefix(bound + 1, 4)}), hostile_format);
  EXPECT_EQ(failure.code, ErrorCode::bad_block);
  EXPECT_EQ(failure.offset, start.size());
  EXPECT_NE(failure.message.find("declares " + std::to_string(bound + 1) + " bytes"), std::string::npos) << failure.message;
  // The bound itself is fine (as far as the prefix goes).
  Lz4StreamDecompressor decompressor(hostile_format);
  decompressor.append(cat({start, prefix(bound, 4)}));
  EXPECT_TRUE(decompressor.next());
  EXPECT_FALSE(decompressor.next());
  // A huge size does not make it wait for the block: only the prefix is in.
  Lz4StreamDecompressor eager(hostile_format);
  eager.append(prefix(0xFFFFFFFF, 4));
  EXPECT_THROW(eager.next(), DecodeError);
}

TEST(Lz4Hostile, ZeroSizeIsRefused) {
  const Bytes start = good_start();
  const auto failure = failure_of(cat({start, prefix(0, 4), Bytes{0}}), hostile_format);
  EXPECT_EQ(failure.code, ErrorCode::bad_block);
  EXPECT_EQ(failure.offset, start.size());
  EXPECT_NE(failure.message.find("size 0"), std::string::npos) << failure.message;
}

TEST(Lz4Hostile, CorruptBlocksAreRefusedWithTheirOffset) {
  const Bytes start = good_start();
  // One literal, then a copy from 16 bytes back: further than the data before it.
  const Bytes far_copy{0x10, 'a', 0x10, 0x00, 0x50, 'b', 'c', 'd', 'e', 'f'};
  auto failure = failure_of(cat({prefix(far_copy.size(), 4), far_copy}), hostile_format);
  EXPECT_EQ(failure.code, ErrorCode::bad_block);
  EXPECT_EQ(failure.offset, 0u);
  EXPECT_NE(failure.message.find("copies from outside"), std::string::npos) << failure.message;
  // A literal length whose extension bytes are missing.
  const Bytes cut{0xF0, 0xFF};
  failure = failure_of(cat({start, prefix(cut.size(), 4), cut}), hostile_format);
  EXPECT_EQ(failure.code, ErrorCode::bad_block);
  EXPECT_EQ(failure.offset, start.size());
  EXPECT_NE(failure.message.find("malformed"), std::string::npos) << failure.message;
  // Random garbage after good blocks: refused at the first bad block, no crash.
  std::mt19937_64 rng(99);
  for (int round = 0; round < 200; ++round) {
    Bytes garbage(1 + rng() % 64);
    for (auto& b : garbage) b = static_cast<std::uint8_t>(rng());
    const Bytes wire = cat({start, prefix(garbage.size(), 4), garbage});
    try {
      test::lz4_decompress(wire, hostile_format);
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.offset(), start.size());
    }
  }
}

TEST(Lz4Hostile, ABlockLargerThanAPageIsRefused) {
  const Bytes start = good_start();
  const Bytes one_too_many = raw_block(Bytes(hostile_format.page_size + 1, 'x'));
  auto failure = failure_of(cat({start, prefix(one_too_many.size(), 4), one_too_many}), hostile_format);
  EXPECT_EQ(failure.code, ErrorCode::bad_block);
  EXPECT_EQ(failure.offset, start.size());
  EXPECT_NE(failure.message.find("decompresses to 4097 bytes"), std::string::npos) << failure.message;
  // A bomb: 1 MiB of zeros in a few KB, well within the block bound.
  const Bytes bomb = raw_block(Bytes(MiB, 0));
  ASSERT_LE(bomb.size(), hostile_format.block_bound());
  failure = failure_of(cat({prefix(bomb.size(), 4), bomb}), hostile_format);
  EXPECT_EQ(failure.code, ErrorCode::bad_block);
  EXPECT_NE(failure.message.find("decompresses to 1048576 bytes"), std::string::npos) << failure.message;
  // A reader with a smaller page than the writer's says so the same way.
  const Bytes wire = test::lz4_compress({Bytes(3000, 'p')}, Lz4Format{4 * KiB, 4});
  failure = failure_of(wire, Lz4Format{1 * KiB, 4});
  EXPECT_EQ(failure.code, ErrorCode::bad_block);
  EXPECT_NE(failure.message.find("page size the writer's"), std::string::npos) << failure.message;
}

TEST(Lz4Hostile, TruncationInThePrefixAndInTheBlock) {
  const Bytes start = good_start();
  const Bytes second = test::lz4_compress({Bytes(100, 'a'), Bytes(100, 'b')}, hostile_format);  // two blocks
  const Bytes wire = cat({start, second});
  const std::size_t second_block = start.size() + (second.size() - (4 + test::lz4_block_sizes(second, hostile_format)[1]));
  for (std::size_t cut = start.size() + 1; cut < wire.size(); ++cut) {
    if (cut == second_block) continue;  // a clean end between blocks
    SCOPED_TRACE("cut at " + std::to_string(cut));
    const auto failure = failure_of({wire.data(), cut}, hostile_format);
    EXPECT_EQ(failure.code, ErrorCode::truncated);
    const std::size_t block = cut < second_block ? start.size() : second_block;
    EXPECT_EQ(failure.offset, block);
    const bool in_prefix = cut - block < 4;
    EXPECT_NE(failure.message.find(in_prefix ? "inside the size prefix" : "inside the LZ4 block"), std::string::npos) << failure.message;
  }
}

TEST(Lz4Hostile, AfterAnErrorEveryCallRepeatsIt) {
  Lz4StreamDecompressor decompressor(hostile_format);
  decompressor.append(cat({good_start(), prefix(0, 4)}));
  EXPECT_TRUE(decompressor.next());
  EXPECT_THROW(decompressor.next(), DecodeError);
  decompressor.append(good_start());
  EXPECT_THROW(decompressor.next(), DecodeError);
  EXPECT_THROW(decompressor.finish(), DecodeError);
}

TEST(Lz4Stream, FinishWithAWholeBlockUntakenIsAUsageError) {
  Lz4StreamDecompressor decompressor(hostile_format);
  decompressor.append(good_start());
  EXPECT_THROW(decompressor.finish(), UsageError);
  EXPECT_TRUE(decompressor.next());
  EXPECT_NO_THROW(decompressor.finish());
}

TEST(Lz4Stream, AnEmptyBlockDecodesToNothing) {
  // LZ4's encoding of no data is the one token 0x00 (python-lz4 writes it
  // for compress(b"")); the next block then starts without a dictionary.
  const Bytes wire = cat({good_start(), prefix(1, 4), Bytes{0x00}, prefix(raw_block(Bytes(50, 'e')).size(), 4), raw_block(Bytes(50, 'e'))});
  Lz4StreamDecompressor decompressor(hostile_format);
  decompressor.append(wire);
  std::vector<std::size_t> sizes;
  while (auto block = decompressor.next()) sizes.push_back(block->size());
  EXPECT_EQ(sizes, (std::vector<std::size_t>{5, 0, 50}));
  Bytes expected{'h', 'e', 'l', 'l', 'o'};
  expected.insert(expected.end(), 50, 'e');
  MemoryInputStream upstream(wire);
  Lz4InputStream in(upstream, hostile_format);
  Bytes got(100);
  std::size_t n = 0;
  while (const std::size_t r = in.read(got.data() + n, got.size() - n)) n += r;
  got.resize(n);
  EXPECT_EQ(got, expected);
}

// ---- memory ----

// Blocks of the best ratio LZ4 has (a page of one byte value, a few hundred
// bytes each): however the input arrives, the reader holds two pages and
// one compressed block, not the decompressed stream.
TEST(Lz4Memory, MaxRatioBlocksNeverHoldMoreThanTwoPagesAndABlock) {
  const Lz4Format format{64 * KiB, 4};
  std::vector<Bytes> pages;
  for (int i = 0; i < 64; ++i) pages.push_back(Bytes(format.page_size, static_cast<std::uint8_t>(i)));
  const Bytes wire = test::lz4_compress(pages, format);
  ASSERT_LT(wire.size(), pages.size() * 400);
  for (std::size_t max_read : {std::size_t{1}, std::size_t{1000}, wire.size()}) {
    SCOPED_TRACE("upstream reads of " + std::to_string(max_read));
    ChunkedInput upstream(wire, max_read);
    Lz4InputStream in(upstream, format);
    Bytes buffer(256 * KiB);
    std::size_t total = 0;
    while (const std::size_t n = in.read(buffer.data(), buffer.size())) {
      total += n;
      EXPECT_LE(in.decompressor().memory(), 2 * format.page_size + format.max_block_bytes());
    }
    EXPECT_EQ(total, pages.size() * format.page_size);
  }
  // Push API: appends of up to one whole block, drained after each.
  Lz4StreamDecompressor decompressor(format);
  std::mt19937_64 rng(4);
  std::size_t total = 0;
  for (std::size_t at = 0; at < wire.size();) {
    const std::size_t n = std::min<std::size_t>(1 + rng() % format.max_block_bytes(), wire.size() - at);
    decompressor.append({wire.data() + at, n});
    at += n;
    while (auto block = decompressor.next()) total += block->size();
    EXPECT_LE(decompressor.memory(), 2 * format.page_size + 2 * format.max_block_bytes());
  }
  EXPECT_EQ(total, pages.size() * format.page_size);
}

TEST(Lz4Memory, ABombDoesNotGrowTheReader) {
  const Lz4Format format{64 * KiB, 4};
  const Bytes bomb = raw_block(Bytes(8 * MiB, 0));
  ASSERT_LE(bomb.size(), format.block_bound());
  Lz4StreamDecompressor decompressor(format);
  decompressor.append(cat({prefix(bomb.size(), 4), bomb}));
  EXPECT_THROW(decompressor.next(), DecodeError);
  EXPECT_LE(decompressor.memory(), 2 * format.page_size + 2 * format.max_block_bytes());
}

}  // namespace
}  // namespace crous
