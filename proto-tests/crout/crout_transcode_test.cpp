// Direct conversion (no value tree) must agree byte for byte with the tree
// path, on randomized values of every kind.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstring>

#include "crous/crout.hpp"
#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "crout_helpers.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

TEST(CroutTranscode, RandomValuesRoundTripAndAgreeWithTheTreePath) {
  test::RandomValueGenerator generator(20261122);
  for (int i = 0; i < 1500; ++i) {
    const Value value = generator.next();
    SCOPED_TRACE(value.debug_string());
    const Bytes flux = encode_flux(value);
    for (const auto style : {CroutStyle::compact, CroutStyle::pretty}) {
      const std::string text = to_crout(value, style);
      ASSERT_EQ(parse_crout(text), value) << text;
      ASSERT_EQ(crout_to_flux(text), flux) << text;
      ASSERT_EQ(flux_to_crout(flux, style), text);
    }
  }
}

TEST(CroutTranscode, RandomStreamsConvertDocumentByDocument) {
  test::RandomValueGenerator generator(7);
  std::string text;
  Bytes expected;
  for (int i = 0; i < 200; ++i) {
    const Value value = generator.next();
    text += to_crout(value, i % 2 == 0 ? CroutStyle::compact : CroutStyle::pretty) + "\n";
    encode_flux(value, expected);
  }
  test::ChunkedInput in(text, 97);
  CroutReader reader(in);
  Bytes flux;
  while (reader.next_flux(flux)) {
  }
  EXPECT_EQ(flux, expected);
}

TEST(CroutTranscode, LargeCountsArePatchedCorrectly) {
  List big;
  for (int i = 0; i < 20000; ++i) big.push_back(List{i, Tuple{}, Dict{{"k", i}}});
  const Value value = List{big, Dict{{"inner", big}}};
  EXPECT_EQ(crout_to_flux(to_crout(value)), encode_flux(value));
}

TEST(CroutTranscode, FluxProblemsAreReportedNotCrashedOn) {
  for (const auto& path : test::golden_files("invalid", ".flux")) {
    SCOPED_TRACE(path.filename().string());
    const Bytes bytes = test::read_file(path);
    EXPECT_THROW(flux_to_crout(bytes), DecodeError);
    EXPECT_THROW(flux_to_crout(bytes, CroutStyle::pretty), DecodeError);
  }
}

TEST(CroutTranscode, FluxErrorsMatchTheDecoder) {
  for (const auto& path : test::golden_files("invalid", ".flux")) {
    SCOPED_TRACE(path.filename().string());
    const Bytes bytes = test::read_file(path);
    ErrorCode decoder_code{};
    try {
      decode_flux(bytes);
    } catch (const DecodeError& e) {
      decoder_code = e.code();
    }
    try {
      flux_to_crout(bytes);
    } catch (const DecodeError& e) {
      EXPECT_EQ(e.code(), decoder_code) << e.what();
    }
  }
}

TEST(CroutTranscode, TrailingBytesAfterAFluxRecordAreRefused) {
  Bytes flux = encode_flux(Value(1));
  flux.push_back(0);
  try {
    flux_to_crout(flux);
    FAIL() << "accepted";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::trailing_bytes);
    EXPECT_EQ(e.offset(), 8u);
  }
}

}  // namespace
}  // namespace crous
