// Conformance against the original's bytes: golden/valid, legacy and stream.
#include <gtest/gtest.h>

#include "crous/crout.hpp"
#include "crous/flux.hpp"
#include "crous/record_stream.hpp"
#include "crous/stream.hpp"
#include "crout_helpers.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

using test::golden_files;
using test::read_file;
using test::read_text;

TEST(CroutGolden, ParseEqualsFluxDecode) {
  for (const auto& flux_path : golden_files("valid", ".flux")) {
    SCOPED_TRACE(flux_path.filename().string());
    auto crout_path = flux_path;
    crout_path.replace_extension(".crout");
    const Value from_flux = decode_flux(as_bytes(test::text_of(read_file(flux_path))));
    const Value from_crout = parse_crout(read_text(crout_path));
    EXPECT_EQ(from_crout, from_flux) << from_crout.debug_string() << "\nvs\n" << from_flux.debug_string();
  }
}

TEST(CroutGolden, CompactOutputWithoutFloatsIsByteIdentical) {
  int compared = 0;
  for (const auto& flux_path : golden_files("valid", ".flux")) {
    SCOPED_TRACE(flux_path.filename().string());
    auto crout_path = flux_path;
    crout_path.replace_extension(".crout");
    const Value value = decode_flux(read_file(flux_path));
    if (test::contains_float(value)) continue;
    EXPECT_EQ(to_crout(value), read_text(crout_path));
    ++compared;
  }
  EXPECT_GT(compared, 40);
}

TEST(CroutGolden, EverythingWrittenParsesBackEqual) {
  for (const auto& flux_path : golden_files("valid", ".flux")) {
    SCOPED_TRACE(flux_path.filename().string());
    const Value value = decode_flux(read_file(flux_path));
    EXPECT_EQ(parse_crout(to_crout(value)), value);
    EXPECT_EQ(parse_crout(to_crout(value, CroutStyle::pretty)), value);
  }
}

TEST(CroutGolden, DirectConversionMatchesTreePath) {
  for (const auto& flux_path : golden_files("valid", ".flux")) {
    SCOPED_TRACE(flux_path.filename().string());
    auto crout_path = flux_path;
    crout_path.replace_extension(".crout");
    const Bytes flux = read_file(flux_path);
    const std::string crout = read_text(crout_path);
    const Value value = decode_flux(flux);
    EXPECT_EQ(crout_to_flux(crout), flux);
    EXPECT_EQ(flux_to_crout(flux), to_crout(value));
    EXPECT_EQ(flux_to_crout(flux, CroutStyle::pretty), to_crout(value, CroutStyle::pretty));
  }
}

TEST(CroutGolden, LegacyDocumentsConvertDirectly) {
  for (const auto& crou_path : golden_files("legacy", ".crou")) {
    SCOPED_TRACE(crou_path.filename().string());
    auto path = crou_path;
    const Bytes crou = read_file(crou_path);
    const Value value = decode_flux(crou);
    EXPECT_EQ(parse_crout(read_text(path.replace_extension(".crout"))), value);
    EXPECT_EQ(flux_to_crout(crou), to_crout(value));
    EXPECT_EQ(flux_to_crout(crou), read_text(path));  // their floats are short already
  }
}

std::vector<Value> flux_stream_values() {
  const Bytes flux = read_file(test::golden_dir() / "stream" / "six-records.flux");
  MemoryInputStream in(flux);
  RecordReader reader(in);
  std::vector<Value> values;
  while (auto value = reader.next()) values.push_back(std::move(*value));
  return values;
}

TEST(CroutGolden, StreamOfDocumentsReadsAsSequence) {
  const std::string text = read_text(test::golden_dir() / "stream" / "six-records.crout");
  MemoryInputStream in(as_bytes(text));
  CroutReader reader(in);
  std::vector<Value> values;
  while (auto value = reader.next()) values.push_back(std::move(*value));
  ASSERT_EQ(values.size(), 6u);
  EXPECT_EQ(values, flux_stream_values());
  EXPECT_FALSE(reader.next().has_value());
}

TEST(CroutGolden, StreamDeliveredOneByteAtATime) {
  const std::string text = read_text(test::golden_dir() / "stream" / "six-records.crout");
  test::ChunkedInput in(text, 1);
  CroutReader reader(in);
  std::vector<Value> values;
  std::vector<std::uint64_t> offsets;
  while (auto value = reader.next()) {
    values.push_back(std::move(*value));
    offsets.push_back(reader.document_offset());
  }
  EXPECT_EQ(values, flux_stream_values());
  ASSERT_EQ(offsets.size(), 6u);
  EXPECT_EQ(offsets[0], 0u);
  EXPECT_EQ(text.substr(offsets[1], 6), "CROUT1");
  EXPECT_EQ(text.substr(offsets[5], 6), "CROUT1");
}

TEST(CroutGolden, StreamConvertsDirectlyToTheFluxStream) {
  const std::string text = read_text(test::golden_dir() / "stream" / "six-records.crout");
  MemoryInputStream in(as_bytes(text));
  CroutReader reader(in);
  Bytes flux;
  int records = 0;
  while (reader.next_flux(flux)) ++records;
  EXPECT_EQ(records, 6);
  EXPECT_EQ(flux, read_file(test::golden_dir() / "stream" / "six-records.flux"));
}

}  // namespace
}  // namespace crous
