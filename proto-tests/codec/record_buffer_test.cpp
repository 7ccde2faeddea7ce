// RecordBuffer: the one framing buffer behind every record reader.
#include <gtest/gtest.h>

#include <random>

#include "crous/error.hpp"
#include "crous/flux.hpp"
#include "crous/record_buffer.hpp"
#include "crous/stream.hpp"

namespace crous {
namespace {

Bytes three_records() {
  Bytes wire;
  encode_flux(Value(1), wire);
  encode_flux(Value("two"), wire);
  encode_flux(Value(List{3, 3, 3}), wire);
  return wire;
}

std::vector<Value> drain(RecordBuffer& buffer) {
  std::vector<Value> out;
  while (auto r = buffer.next()) out.push_back(decode_flux(*r));
  return out;
}

TEST(RecordBuffer, FramesRecordsFromAnyChunkingWithTheirStreamOffsets) {
  const Bytes wire = three_records();
  const std::vector<Value> expected{Value(1), Value("two"), Value(List{3, 3, 3})};
  for (std::size_t chunk = 1; chunk <= wire.size(); ++chunk) {
    RecordBuffer buffer;
    std::vector<Value> got;
    std::vector<std::uint64_t> offsets;
    for (std::size_t at = 0; at < wire.size(); at += chunk) {
      buffer.append({wire.data() + at, std::min(chunk, wire.size() - at)});
      while (auto r = buffer.next()) {
        got.push_back(decode_flux(*r));
        offsets.push_back(buffer.record_offset());
      }
    }
    EXPECT_EQ(got, expected) << "chunk " << chunk;
    ASSERT_EQ(offsets.size(), 3u);
    EXPECT_EQ(offsets[0], 0u);
    EXPECT_EQ(offsets[1], encode_flux(Value(1)).size());
    EXPECT_TRUE(buffer.empty());
    EXPECT_EQ(buffer.stream_offset(), wire.size());
  }
}

TEST(RecordBuffer, BorrowedBytesAreFramedInPlaceAndOnlyTheRestIsCopied) {
  const Bytes wire = three_records();
  const Bytes first = encode_flux(Value(1));
  RecordBuffer buffer;
  // Everything but the last 2 bytes arrives in one read.
  Bytes read(wire.begin(), wire.end() - 2);
  buffer.borrow(read);
  auto r = buffer.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(r->data(), read.data());  // no copy
  EXPECT_EQ(decode_flux(*r), Value(1));
  ASSERT_TRUE(buffer.next());
  EXPECT_FALSE(buffer.next());
  EXPECT_TRUE(buffer.mid_record());
  buffer.keep_rest();
  EXPECT_FALSE(buffer.borrowing());
  std::fill(read.begin(), read.end(), 0xEE);  // the read buffer is reused
  buffer.append({wire.data() + wire.size() - 2, 2});
  r = buffer.next();
  ASSERT_TRUE(r);
  EXPECT_EQ(decode_flux(*r), Value(List{3, 3, 3}));
  EXPECT_EQ(buffer.record_offset(), first.size() + encode_flux(Value("two")).size());
  EXPECT_TRUE(buffer.empty());
  buffer.release();
  EXPECT_EQ(buffer.capacity(), 0u);
}

TEST(RecordBuffer, ErrorsCarryStreamOffsets) {
  Bytes wire = encode_flux(Value(1));
  const std::size_t second = wire.size();
  const Bytes bad = {'F', 'L', 'U', 'X', 1, 0, 0x7e};  // no such tag
  wire.insert(wire.end(), bad.begin(), bad.end());
  RecordBuffer buffer;
  buffer.append(wire);
  ASSERT_TRUE(buffer.next());
  try {
    buffer.next();
    FAIL() << "expected a DecodeError";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::unknown_tag);
    EXPECT_EQ(e.offset(), second + 6);
  }
}

TEST(RecordBuffer, OneRecordNeverNeedsMoreThanTheLimitPlusOneRead) {
  Limits limits;
  limits.max_record_bytes = 1u << 20;
  const Bytes record = encode_flux(Value(std::string((1u << 20) - 16, 'x')));
  ASSERT_LE(record.size(), limits.max_record_bytes);
  RecordBuffer buffer(limits);
  std::size_t most = 0;
  for (std::size_t at = 0; at < record.size(); at += 1000) {
    buffer.append({record.data() + at, std::min<std::size_t>(1000, record.size() - at)});
    most = std::max(most, buffer.capacity());
    if (at + 1000 < record.size()) {
      EXPECT_FALSE(buffer.next());
    }
  }
  ASSERT_TRUE(buffer.next());
  EXPECT_LE(most, limits.max_record_bytes + RecordBuffer::read_chunk);
}

TEST(RecordBuffer, ClearDropsTheUnfinishedRecord) {
  const Bytes wire = three_records();
  RecordBuffer buffer;
  buffer.append({wire.data(), 4});
  EXPECT_FALSE(buffer.next());
  EXPECT_TRUE(buffer.mid_record());
  buffer.clear();
  EXPECT_TRUE(buffer.empty());
  EXPECT_FALSE(buffer.mid_record());
  EXPECT_EQ(buffer.capacity(), 0u);
  buffer.append(wire);
  EXPECT_EQ(drain(buffer).size(), 3u);
}

}  // namespace
}  // namespace crous
