#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "crous/flux.hpp"
#include "crous/lazy_reader.hpp"
#include "crous/stream.hpp"
#include "crous/streaming_writer.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

// Resets the kernel's peak-RSS mark so that a later peak reading covers
// only what the code under test did.
void reset_peak_rss() {
  std::ofstream clear("/proc/self/clear_refs");
  clear << "5";
}

Value item(std::uint64_t i) {
  if (i % 3 == 0) return static_cast<std::int64_t>(i);
  if (i % 3 == 1) return "item-" + std::to_string(i);
  return Dict{{"i", static_cast<std::int64_t>(i)}, {"odd", (i & 1) == 1}};
}

TEST(StreamingWriter, MatchesTheTreeEncoder) {
  Bytes streamed;
  {
    MemoryOutputStream out(streamed);
    StreamingWriter w(out);
    w.begin_dict(3);
    w.key("list");
    w.begin_list(2);
    w.value(1);
    w.begin_tagged(90);
    w.begin_tuple(0);
    w.end();
    w.end();
    w.end();
    w.key("name");
    w.value("x");
    w.key("d");
    w.value(Dict{{"k", nullptr}});
    w.end();
    EXPECT_TRUE(w.complete());
    w.value(7);  // a second record
  }
  Bytes tree = encode_flux(Value(Dict{{"list", List{1, Tagged(90, Tuple{})}}, {"name", "x"}, {"d", Dict{{"k", nullptr}}}}));
  encode_flux(Value(7), tree);
  EXPECT_EQ(streamed, tree);
}

TEST(StreamingWriter, CountMismatchesAreUsageErrors) {
  Bytes sink;
  MemoryOutputStream out(sink);
  StreamingWriter w(out);
  w.begin_list(1);
  w.value(1);
  EXPECT_THROW(w.value(2), UsageError);
  w.end();
  w.begin_list(2);
  w.value(1);
  EXPECT_THROW(w.end(), UsageError);
  StreamingWriter d(out);
  d.begin_dict(1);
  EXPECT_THROW(d.value(1), UsageError);  // no key
  EXPECT_THROW(StreamingWriter(out).key("k"), UsageError);
}

TEST(StreamingWriter, TenMillionItemsInConstantMemoryThenLazyReadBack) {
  constexpr std::uint64_t count = 10'000'000;
  const auto path = test::temp_dir("streaming") / "big.flux";
  reset_peak_rss();
  const std::size_t base = test::current_rss_bytes();
  {
    std::FILE* f = std::fopen(path.c_str(), "wb");
    ASSERT_NE(f, nullptr);
    FileOutputStream out(f);
    StreamingWriter w(out);
    w.begin_list(count);
    for (std::uint64_t i = 0; i < count; ++i) w.value(item(i));
    w.end();
    out.flush();
    std::fclose(f);
  }
  const std::size_t write_peak = test::peak_rss_bytes();
  if (test::rss_is_meaningful) {
    EXPECT_LT(write_peak - base, std::size_t{16} << 20) << "writer grew RSS by " << (write_peak - base) << " bytes";
  }

  reset_peak_rss();
  std::FILE* f = std::fopen(path.c_str(), "rb");
  ASSERT_NE(f, nullptr);
  FileInputStream in(f);
  LazyReader reader(in);
  EXPECT_EQ(reader.kind(), Kind::list);
  EXPECT_EQ(reader.declared_size(), count);
  std::uint64_t n = 0;
  while (auto v = reader.next()) {
    if (n % 999'983 == 0) {
      ASSERT_EQ(*v, item(n));
    }
    ++n;
  }
  std::fclose(f);
  EXPECT_EQ(n, count);
  const std::size_t read_peak = test::peak_rss_bytes();
  if (test::rss_is_meaningful) {
    EXPECT_LT(read_peak - base, std::size_t{16} << 20) << "lazy reader grew RSS by " << (read_peak - base) << " bytes";
  }
}

// The offset of invalid UTF-8 in a dict key counts the key's length varint
// at its real size: a 200-byte key has a 2-byte length (it was taken as 1).
TEST(LazyReader, InvalidUtf8InALongKeyIsReportedWhereTheDecoderReportsIt) {
  for (std::size_t key_size : {5u, 127u, 128u, 200u, 20'000u}) {
    std::string key(key_size, 'k');
    Bytes data = encode_flux(Value(Dict{{key, 1}}));
    // The key's bytes end just before its value's two bytes (tag, int).
    const std::size_t key_start = data.size() - 2 - key_size;
    data[key_start + key_size / 2] = 0xFF;
    std::uint64_t expected = 0;
    try {
      decode_flux(data);
      FAIL() << "decoder accepted invalid UTF-8";
    } catch (const DecodeError& e) {
      ASSERT_EQ(e.code(), ErrorCode::invalid_utf8);
      expected = e.offset();
    }
    EXPECT_EQ(expected, key_start + key_size / 2) << key_size;
    MemoryInputStream in(data);
    LazyReader reader(in);
    try {
      reader.next_entry();
      FAIL() << "lazy reader accepted invalid UTF-8";
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.code(), ErrorCode::invalid_utf8) << key_size;
      EXPECT_EQ(e.offset(), expected) << "key of " << key_size << " bytes";
    }
  }
}

// Records back to back, each read item by item; offsets count from the
// start of the stream.
TEST(LazyReader, ReadsAStreamOfRecords) {
  Bytes data = encode_flux(Value(List{1, "two"}));
  const std::size_t second = data.size();
  encode_flux(Value(Dict{{"k", Tuple{3}}}), data);
  const std::size_t third = data.size();
  encode_flux(Value(Tuple{}), data);
  MemoryInputStream in(data);
  LazyReader reader(in);
  EXPECT_EQ(reader.record_offset(), 0u);
  EXPECT_EQ(*reader.next(), Value(1));
  EXPECT_THROW(reader.next_record(), UsageError) << "an item is left";
  EXPECT_EQ(*reader.next(), Value("two"));
  EXPECT_FALSE(reader.next());
  ASSERT_TRUE(reader.next_record());
  EXPECT_EQ(reader.record_offset(), second);
  EXPECT_EQ(reader.kind(), Kind::dict);
  EXPECT_EQ(reader.declared_size(), 1u);
  const auto entry = reader.next_entry();
  ASSERT_TRUE(entry);
  EXPECT_EQ(entry->first, "k");
  EXPECT_EQ(entry->second, Value(Tuple{3}));
  EXPECT_FALSE(reader.next_entry());
  ASSERT_TRUE(reader.next_record());
  EXPECT_EQ(reader.record_offset(), third);
  EXPECT_EQ(reader.kind(), Kind::tuple);
  EXPECT_FALSE(reader.next());
  EXPECT_EQ(reader.offset(), data.size());
  EXPECT_FALSE(reader.next_record());

  // A second record that is no container, or is cut in its header: the
  // errors point into the stream, not into the record.
  Bytes scalar_after = encode_flux(Value(List{}));
  const std::size_t scalar_at = scalar_after.size();
  encode_flux(Value(5), scalar_after);
  MemoryInputStream scalar_in(scalar_after);
  LazyReader scalar(scalar_in);
  try {
    scalar.next_record();
    FAIL() << "a scalar record was read lazily";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::invalid_value);
    EXPECT_EQ(e.offset(), scalar_at + 6);
  }
  Bytes cut = encode_flux(Value(List{}));
  const std::size_t cut_at = cut.size();
  cut.insert(cut.end(), {'F', 'L', 'U'});
  MemoryInputStream cut_in(cut);
  LazyReader cut_reader(cut_in);
  try {
    cut_reader.next_record();
    FAIL() << "a cut header was read";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::truncated);
    EXPECT_EQ(e.offset(), cut.size());
    EXPECT_EQ(e.message(), "stream ends inside the header of the record that starts at byte " + std::to_string(cut_at));
  }
}

TEST(LazyReader, DictEntriesAndErrors) {
  Bytes data = encode_flux(Value(Dict{{"a", 1}, {"b", List{2, 3}}}));
  MemoryInputStream in(data);
  LazyReader reader(in);
  EXPECT_EQ(reader.kind(), Kind::dict);
  auto e = reader.next_entry();
  ASSERT_TRUE(e);
  EXPECT_EQ(e->first, "a");
  EXPECT_EQ(e->second, Value(1));
  e = reader.next_entry();
  EXPECT_EQ(e->second, Value(List{2, 3}));
  EXPECT_FALSE(reader.next_entry());

  Bytes cut = encode_flux(Value(List{1, "two", 3}));
  cut.resize(cut.size() - 1);
  MemoryInputStream cut_in(cut);
  LazyReader truncated(cut_in);
  truncated.next();
  truncated.next();
  EXPECT_THROW(truncated.next(), DecodeError);

  const Bytes scalar = encode_flux(Value(5));
  MemoryInputStream scalar_in(scalar);
  EXPECT_THROW(LazyReader{scalar_in}, DecodeError);

  const Bytes bad_item = {'F', 'L', 'U', 'X', 1, 0, 0x07, 0x02, 0x03, 0x02, 0x05, 0x01, 0xFF};
  MemoryInputStream bad_in(bad_item);
  LazyReader bad(bad_in);
  EXPECT_EQ(*bad.next(), Value(1));
  try {
    bad.next();
    FAIL();
  } catch (const DecodeError& err) {
    EXPECT_EQ(err.code(), ErrorCode::invalid_utf8);
    EXPECT_EQ(err.offset(), 12u);
  }
}

}  // namespace
}  // namespace crous
