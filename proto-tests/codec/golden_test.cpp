// Conformance against the original implementation's bytes (../shared/golden).
#include <gtest/gtest.h>

#include <cmath>
#include <map>

#include "crous/flux.hpp"
#include "crous/record_scanner.hpp"
#include "crous/record_stream.hpp"
#include "crous/stream.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

using test::golden_files;
using test::read_file;

TEST(GoldenFlux, EveryValidFileDecodesAndReencodesByteIdentical) {
  std::size_t checked = 0;
  for (const auto& path : golden_files("valid", ".flux")) {
    SCOPED_TRACE(path.filename().string());
    const Bytes original = read_file(path);
    const Value value = decode_flux(original);
    EXPECT_EQ(encode_flux(value), original);
    ++checked;
  }
  EXPECT_GE(checked, 60u);
}

TEST(GoldenFlux, SpotValuesDecodeAsDocumented) {
  const auto dir = test::golden_dir() / "valid";
  EXPECT_EQ(decode_flux(read_file(dir / "int_min.flux")), Value(INT64_MIN));
  EXPECT_EQ(decode_flux(read_file(dir / "int_minus_33.flux")), Value(-33));
  EXPECT_EQ(decode_flux(read_file(dir / "float_neg_zero.flux")), Value(-0.0));
  EXPECT_NE(decode_flux(read_file(dir / "float_neg_zero.flux")), Value(0.0));
  EXPECT_TRUE(std::isnan(decode_flux(read_file(dir / "float_nan.flux")).as_float()));
  EXPECT_EQ(decode_flux(read_file(dir / "float_pi.flux")), Value(3.14));
  const Value set = decode_flux(read_file(dir / "set_ints.flux"));
  ASSERT_TRUE(set.is_tagged());
  EXPECT_EQ(set.as_tagged().tag(), 90u);
  EXPECT_TRUE(set.as_tagged().value().is_list());
  const Value custom = decode_flux(read_file(dir / "custom_tag_100.flux"));
  EXPECT_EQ(custom, Value(Tagged(100, Dict{{"x", 1}, {"y", -2}})));
  const Value keys = decode_flux(read_file(dir / "many_keys_500.flux"));
  EXPECT_EQ(keys.size(), 500u);
  Value nested = decode_flux(read_file(dir / "deep_list_100.flux"));
  int depth = 0;
  while (nested.is_list()) {
    Value inner = nested[0];
    nested = std::move(inner);
    ++depth;
  }
  EXPECT_EQ(depth, 100);
  EXPECT_EQ(nested, Value(0));
}

TEST(GoldenFlux, LegacyCrouDecodesToTheSameValueAsItsFlux) {
  for (const auto& path : golden_files("legacy", ".crou")) {
    SCOPED_TRACE(path.filename().string());
    auto flux_path = path;
    flux_path.replace_extension(".flux");
    const Value legacy = decode_flux(read_file(path));
    const Bytes flux = read_file(flux_path);
    EXPECT_EQ(legacy, decode_flux(flux));
    EXPECT_EQ(encode_flux(legacy), flux);
  }
}

ErrorCode expected_code(const std::string& name) {
  static const std::map<std::string, ErrorCode> codes = {
      {"bad_magic", ErrorCode::bad_header},          {"bad_version", ErrorCode::bad_header},
      {"deep_nesting_1000", ErrorCode::depth_exceeded}, {"empty", ErrorCode::truncated},
      {"header_only", ErrorCode::truncated},         {"huge_dict_count", ErrorCode::limit_exceeded},
      {"huge_list_count", ErrorCode::limit_exceeded}, {"huge_string_len", ErrorCode::limit_exceeded},
      {"invalid_utf8_key", ErrorCode::invalid_utf8},  {"invalid_utf8_string", ErrorCode::invalid_utf8},
      {"short_header", ErrorCode::truncated},        {"truncated_dict_key", ErrorCode::truncated},
      {"truncated_dict_value", ErrorCode::truncated}, {"truncated_float", ErrorCode::truncated},
      {"truncated_int", ErrorCode::truncated},       {"truncated_list", ErrorCode::truncated},
      {"truncated_string", ErrorCode::truncated},    {"truncated_tagged", ErrorCode::truncated},
      {"unknown_tag", ErrorCode::unknown_tag},       {"varint_too_long", ErrorCode::varint_too_long},
  };
  const auto it = codes.find(name);
  if (it == codes.end()) throw std::runtime_error("no expectation for golden/invalid/" + name + ".flux");
  return it->second;
}

TEST(GoldenFlux, EveryInvalidFileIsRejectedWithItsSpecificError) {
  for (const auto& path : golden_files("invalid", ".flux")) {
    const std::string name = path.stem().string();
    SCOPED_TRACE(name);
    const Bytes data = read_file(path);
    try {
      decode_flux(data);
      ADD_FAILURE() << "accepted";
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.code(), expected_code(name)) << e.what();
      EXPECT_LE(e.offset(), data.size());
      EXPECT_FALSE(e.message().empty());
    }
  }
}

TEST(GoldenFlux, ScannerAgreesWithTheDecoderOnInvalidFiles) {
  for (const auto& path : golden_files("invalid", ".flux")) {
    const std::string name = path.stem().string();
    SCOPED_TRACE(name);
    const Bytes data = read_file(path);
    RecordScanner scanner;
    const auto r = scanner.feed(data);
    const ErrorCode want = expected_code(name);
    if (want == ErrorCode::truncated) {
      EXPECT_EQ(r.status, RecordScanner::Status::need_more);  // more bytes could still complete it
      continue;
    }
    ASSERT_EQ(r.status, RecordScanner::Status::error);
    EXPECT_EQ(scanner.error_code(), want) << scanner.error().what();
    try {
      decode_flux(data);
    } catch (const DecodeError& e) {
      if (want == ErrorCode::limit_exceeded) {  // the scanner may refuse earlier (record_scanner.hpp)
        EXPECT_LE(scanner.error_offset(), e.offset()) << scanner.error().what() << " / " << e.what();
      } else {
        EXPECT_EQ(scanner.error_offset(), e.offset()) << scanner.error().what() << " / " << e.what();
      }
    }
  }
}

TEST(GoldenStream, SixRecordsThenCleanEnd) {
  const Bytes data = read_file(test::golden_dir() / "stream" / "six-records.flux");
  MemoryInputStream in(data);
  RecordReader reader(in);
  std::vector<Value> records;
  while (auto record = reader.next()) records.push_back(std::move(*record));
  ASSERT_EQ(records.size(), 6u);
  EXPECT_EQ(records[0], Value(Dict{{"id", 1}, {"name", "Alice"}}));
  EXPECT_EQ(records[3], Value(List{1, 2, 3}));
  EXPECT_EQ(records[4], Value("tail"));
  EXPECT_EQ(records[5], Value(nullptr));
}

TEST(GoldenStream, SixRecordsWhenBytesArriveOneAtATime) {
  const Bytes data = read_file(test::golden_dir() / "stream" / "six-records.flux");
  std::size_t pos = 0;
  CallbackInputStream in([&](std::uint8_t* dst, std::size_t size) -> std::size_t {
    if (pos == data.size() || size == 0) return 0;
    *dst = data[pos++];
    return 1;
  });
  RecordReader reader(in);
  std::vector<Value> one_by_one;
  while (auto record = reader.next()) one_by_one.push_back(std::move(*record));
  MemoryInputStream whole_in(data);
  RecordReader whole(whole_in);
  std::size_t i = 0;
  while (auto record = whole.next()) {
    ASSERT_LT(i, one_by_one.size());
    EXPECT_EQ(one_by_one[i++], *record);
  }
  EXPECT_EQ(one_by_one.size(), 6u);
  EXPECT_EQ(i, 6u);
}

}  // namespace
}  // namespace crous
