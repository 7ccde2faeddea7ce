#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdio>
#include <sstream>
#include <thread>

#include "crous/flux.hpp"
#include "crous/record_stream.hpp"
#include "crous/stream.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

std::vector<Value> sample_records() {
  test::RandomValueGenerator gen(5);
  std::vector<Value> records;
  for (int i = 0; i < 200; ++i) records.push_back(gen.next());
  records.push_back(Value(std::string(200000, 'z')));  // bigger than one read chunk
  return records;
}

std::vector<Value> read_all(InputStream& in) {
  RecordReader reader(in);
  std::vector<Value> out;
  while (auto v = reader.next()) out.push_back(std::move(*v));
  return out;
}

void write_all(OutputStream& out, const std::vector<Value>& records) {
  RecordWriter writer(out);
  for (const Value& v : records) writer.write(v);
  writer.flush();
  EXPECT_EQ(writer.records_written(), records.size());
}

TEST(Streams, MemoryRoundTrip) {
  const auto records = sample_records();
  Bytes buffer;
  MemoryOutputStream out(buffer);
  write_all(out, records);
  MemoryInputStream in(buffer);
  EXPECT_EQ(read_all(in), records);
}

TEST(Streams, OutputIsBufferedUntilFlush) {
  Bytes buffer;
  MemoryOutputStream out(buffer);
  RecordWriter writer(out);
  writer.write(Value(1));
  EXPECT_TRUE(buffer.empty());
  writer.flush();
  EXPECT_EQ(buffer, encode_flux(Value(1)));
}

TEST(Streams, PipeThroughFileDescriptors) {
  const auto records = sample_records();
  int fds[2];
  ASSERT_EQ(::pipe(fds), 0);
  std::thread writer([&] {
    FdOutputStream out(fds[1]);
    write_all(out, records);
    ::close(fds[1]);
  });
  FdInputStream in(fds[0]);
  const auto got = read_all(in);
  writer.join();
  ::close(fds[0]);
  EXPECT_EQ(got, records);
}

TEST(Streams, StdioFile) {
  const auto records = sample_records();
  const auto path = test::temp_dir("stdio") / "records.flux";
  std::FILE* f = std::fopen(path.c_str(), "wb");
  ASSERT_NE(f, nullptr);
  {
    FileOutputStream out(f);
    write_all(out, records);
  }
  std::fclose(f);
  f = std::fopen(path.c_str(), "rb");
  FileInputStream in(f);
  EXPECT_EQ(read_all(in), records);
  std::fclose(f);
}

TEST(Streams, Iostreams) {
  const auto records = sample_records();
  std::stringstream ss;
  {
    OstreamOutputStream out(ss);
    write_all(out, records);
  }
  IstreamInputStream in(ss);
  EXPECT_EQ(read_all(in), records);
}

TEST(Streams, CallbacksSeeEveryByteAndTheFlush) {
  Bytes sunk;
  int flushes = 0;
  {
    CallbackOutputStream out([&](const std::uint8_t* d, std::size_t n) { sunk.insert(sunk.end(), d, d + n); },
                             [&] { ++flushes; }, 16);
    write_all(out, {Value(List{1, 2, 3}), Value("hello world, longer than sixteen bytes")});
  }
  EXPECT_GE(flushes, 1);
  MemoryInputStream in(sunk);
  EXPECT_EQ(read_all(in).size(), 2u);
}

TEST(Streams, TruncatedLastRecordIsAnErrorWithTheStreamOffset) {
  Bytes data = encode_flux(Value(1));
  const Bytes second = encode_flux(Value("abcdef"));
  data.insert(data.end(), second.begin(), second.end() - 2);
  MemoryInputStream in(data);
  RecordReader reader(in);
  ASSERT_TRUE(reader.next().has_value());
  try {
    reader.next();
    FAIL() << "no error";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::truncated);
    EXPECT_EQ(e.offset(), data.size());
    EXPECT_NE(e.message().find("starts at byte 8"), std::string::npos) << e.what();
  }
}

TEST(Streams, DecodeErrorsInTheMiddleReportStreamOffsets) {
  Bytes data = encode_flux(Value(1));
  const Bytes bad = {'F', 'L', 'U', 'X', 1, 0, 0x05, 0x01, 0xFF};
  data.insert(data.end(), bad.begin(), bad.end());
  MemoryInputStream in(data);
  RecordReader reader(in);
  reader.next();
  try {
    reader.next();
    FAIL();
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_utf8);
    EXPECT_EQ(e.offset(), 8u + 8u);
  }
}

TEST(Streams, EmptyStreamIsACleanEnd) {
  MemoryInputStream in(ByteView{});
  RecordReader reader(in);
  EXPECT_FALSE(reader.next().has_value());
}

}  // namespace
}  // namespace crous
