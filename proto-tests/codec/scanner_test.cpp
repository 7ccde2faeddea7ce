#include <gtest/gtest.h>

#include "crous/flux.hpp"
#include "crous/record_scanner.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

using Status = RecordScanner::Status;

// Feeds `data` in chunks of `chunk` bytes; returns the record sizes found.
std::vector<std::size_t> scan_all(const Bytes& data, std::size_t chunk, RecordScanner& scanner) {
  std::vector<std::size_t> sizes;
  std::size_t pos = 0;
  while (pos < data.size()) {
    const std::size_t n = std::min(chunk, data.size() - pos);
    std::size_t used = 0;
    while (used < n) {
      const auto r = scanner.feed({data.data() + pos + used, n - used});
      used += r.consumed;
      if (r.status == Status::error) throw scanner.error();
      if (r.status == Status::complete) sizes.push_back(scanner.record_size());
      if (r.status == Status::need_more) {
        EXPECT_EQ(used, n);
      }
    }
    pos += n;
  }
  return sizes;
}

TEST(RecordScanner, FindsEveryBoundaryWhateverTheChunking) {
  test::RandomValueGenerator gen(99);
  Bytes stream;
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 300; ++i) {
    const std::size_t before = stream.size();
    encode_flux(gen.next(), stream);
    sizes.push_back(stream.size() - before);
  }
  for (std::size_t chunk : {std::size_t{1}, std::size_t{2}, std::size_t{3}, std::size_t{7}, std::size_t{64},
                            std::size_t{4096}, stream.size()}) {
    SCOPED_TRACE(chunk);
    RecordScanner scanner;
    EXPECT_EQ(scan_all(stream, chunk, scanner), sizes);
    EXPECT_TRUE(scanner.at_boundary() || scanner.scanned() == 0);
  }
}

TEST(RecordScanner, GoldenValidAndLegacyFilesAreOneRecordEach) {
  for (const char* sub : {"valid", "legacy"}) {
    for (const auto& path : test::golden_files(sub, std::string(sub) == "valid" ? ".flux" : ".crou")) {
      SCOPED_TRACE(path.filename().string());
      const Bytes data = test::read_file(path);
      RecordScanner scanner;
      EXPECT_EQ(scan_all(data, 1, scanner), std::vector<std::size_t>{data.size()});
    }
  }
}

TEST(RecordScanner, RefusesAnOversizeDeclarationTheMomentItIsRead) {
  // 5-byte list header claiming 4 billion items: refused after 11 bytes.
  const Bytes head = {'F', 'L', 'U', 'X', 1, 0, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F};
  RecordScanner scanner;
  const auto r = scanner.feed(head);
  ASSERT_EQ(r.status, Status::error);
  EXPECT_EQ(scanner.error_code(), ErrorCode::limit_exceeded);
  EXPECT_EQ(scanner.error_offset(), 7u);
  EXPECT_EQ(r.consumed, head.size());
}

TEST(RecordScanner, TracksTheMinimumRecordSize) {
  RecordScanner scanner(Limits{.max_record_bytes = 100});
  const Bytes head = {'F', 'L', 'U', 'X', 1, 0, 0x08, 0x03};  // dict of 3 entries
  ASSERT_EQ(scanner.feed(head).status, Status::need_more);
  EXPECT_EQ(scanner.min_record_size(), 8u + 3 * 2);
  ASSERT_EQ(scanner.feed(Bytes{0x02, 'i', 'd', 0x05, 0x0A}).status, Status::need_more);  // key "id", 10-byte string
  EXPECT_EQ(scanner.min_record_size(), 13u + 10 + 2 * 2);
  // A string that cannot fit is refused before its bytes arrive: 8 bytes
  // read + 12 declared = 20 fits a 20-byte limit, 8 + 13 does not.
  RecordScanner fits(Limits{.max_record_bytes = 20});
  EXPECT_EQ(fits.feed(Bytes{'F', 'L', 'U', 'X', 1, 0, 0x05, 0x0C}).status, Status::need_more);
  RecordScanner too_big(Limits{.max_record_bytes = 20});
  EXPECT_EQ(too_big.feed(Bytes{'F', 'L', 'U', 'X', 1, 0, 0x05, 0x0D}).status, Status::error);
  EXPECT_EQ(too_big.error_code(), ErrorCode::limit_exceeded);
}

TEST(RecordScanner, RecordExactlyAtTheLimitPassesOneMoreByteFails) {
  const Bytes record = encode_flux(Value(std::string(50, 'x')));  // 6 + 1 + 1 + 50 = 58
  ASSERT_EQ(record.size(), 58u);
  RecordScanner exact(Limits{.max_record_bytes = 58});
  EXPECT_EQ(exact.feed(record).status, Status::complete);
  RecordScanner under(Limits{.max_record_bytes = 57});
  const auto r = under.feed({record.data(), 8});  // refused from the length alone
  EXPECT_EQ(r.status, Status::error);
  EXPECT_EQ(under.error_code(), ErrorCode::limit_exceeded);
}

TEST(RecordScanner, DepthLimitAndErrorsCarryOffsets) {
  RecordScanner scanner(Limits{.max_depth = 2});
  const Bytes deep = {'F', 'L', 'U', 'X', 1, 0, 0x07, 0x01, 0x07, 0x01, 0x07, 0x01, 0x00};
  ASSERT_EQ(scanner.feed(deep).status, Status::error);
  EXPECT_EQ(scanner.error_code(), ErrorCode::depth_exceeded);
  EXPECT_EQ(scanner.error_offset(), 10u);
  // After an error the next feed starts a fresh record.
  const Bytes ok = encode_flux(Value(List{1}));
  EXPECT_EQ(scanner.feed(ok).status, Status::complete);
}

TEST(RecordScanner, BareValueModeFramesItemsWithoutHeaders) {
  Bytes items;
  encode_flux_value(Value(Dict{{"a", List{1, 2}}}), items);
  encode_flux_value(Value("x"), items);
  RecordScanner scanner(Limits{}, RecordScanner::Mode::bare_value);
  auto r = scanner.feed(items);
  ASSERT_EQ(r.status, Status::complete);
  EXPECT_EQ(r.consumed, items.size() - 3);
  r = scanner.feed({items.data() + r.consumed, 3});
  EXPECT_EQ(r.status, Status::complete);
}

}  // namespace
}  // namespace crous
