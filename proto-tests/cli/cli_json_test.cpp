// JSON output and input through the real binary: the lossless mapping.
#include <gtest/gtest.h>

#include <limits>

#include "cli_runner.hpp"
#include "crous/flux.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

namespace fs = std::filesystem;
using test::run_crous;

TEST(CliJson, MappingOfEveryKind) {
  const fs::path dir = test::temp_dir("cli-json-kinds");
  const Value value = Dict{{"n", nullptr},
                           {"b", true},
                           {"i", -7},
                           {"f", 1.0},
                           {"z", -0.0},
                           {"nan", std::numeric_limits<double>::quiet_NaN()},
                           {"inf", -std::numeric_limits<double>::infinity()},
                           {"s", "é\n"},
                           {"bytes", Bytes{0, 255, 16}},
                           {"t", Tuple{1, "x"}},
                           {"tag", Tagged(90, List{1})},
                           {"fake", Dict{{"$bytes", "not really"}}}};
  test::write_file(dir / "v.flux", encode_flux(value));
  const auto json = run_crous({"convert", "--to", "json", "v.flux"}, dir);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_EQ(json.out,
            R"({"n":null,"b":true,"i":-7,"f":1.0,"z":-0.0,"nan":{"$float":"nan"},"inf":{"$float":"-inf"},"s":"é\n",)"
            R"("bytes":{"$bytes":"AP8Q"},"t":{"$tuple":[1,"x"]},"tag":{"$tag":90,"value":[1]},)"
            R"("fake":{"$dict":{"$bytes":"not really"}}})"
            "\n");
  test::write_file(dir / "v.json", Bytes(json.out.begin(), json.out.end()));
  const auto back = run_crous({"convert", "--from", "json", "--to", "flux", "v.json"}, dir);
  ASSERT_EQ(back.exit_code, 0) << back.err;
  EXPECT_EQ(decode_flux(as_bytes(back.out)), value);
}

TEST(CliJson, GoldenValuesRoundTripThroughJson) {
  const fs::path dir = test::temp_dir("cli-json-golden");
  for (const auto& flux_path : test::golden_files("valid", ".flux")) {
    SCOPED_TRACE(flux_path.filename().string());
    const auto result = test::run_shell("\"$CROUS\" convert --to json --pretty " + test::quoted(flux_path.string()) + " | \"$CROUS\" convert --from json --to flux", dir);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(result.out == test::read_text(flux_path));
  }
}

TEST(CliJson, JsonLinesAndPrettyDocumentsAreASequence) {
  const fs::path dir = test::temp_dir("cli-json-seq");
  const std::string text = "{\"a\": 1}\n[1, 2.5]\n\"s\"\n{\n  \"deep\": {\"$tuple\": []}\n}\n";
  test::write_file(dir / "in.json", Bytes(text.begin(), text.end()));
  const auto result = run_crous({"convert", "--from", "json", "--to", "crout", "in.json"}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "CROUT1\n{s1:a:i1}\nCROUT1\n[i1 , f2.5]\nCROUT1\ns1:s\nCROUT1\n{s4:deep:()}\n");
}

TEST(CliJson, BadJsonIsReportedWithItsOffset) {
  const fs::path dir = test::temp_dir("cli-json-bad");
  const std::string text = "{\"a\": 1}\n{\"b\": }\n";
  test::write_file(dir / "bad.json", Bytes(text.begin(), text.end()));
  const auto result = run_crous({"convert", "--from", "json", "--to", "flux", "bad.json", "-o", "out.flux"}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("bad.json: record 1: syntax at byte 15"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir / "out.flux"));
  const std::string huge = "18446744073709551615\n";
  test::write_file(dir / "huge.json", Bytes(huge.begin(), huge.end()));
  const auto range = run_crous({"convert", "--from", "json", "--to", "flux", "huge.json"}, dir);
  EXPECT_EQ(range.exit_code, 1);
  EXPECT_NE(range.err.find("does not fit in 64 signed bits"), std::string::npos) << range.err;
  for (const std::string marker : {R"({"$bytes": "abc"})", R"({"$bytes": "ab=c"})", R"({"$float": "big"})", R"({"$tag": -1, "value": 1})", R"({"$tuple": 5})"}) {
    test::write_file(dir / "marker.json", Bytes(marker.begin(), marker.end()));
    const auto bad = run_crous({"convert", "--from", "json", "--to", "crout", "marker.json"}, dir);
    EXPECT_EQ(bad.exit_code, 1) << marker;
    EXPECT_NE(bad.err.find("record 0: invalid_value at byte 0"), std::string::npos) << bad.err;
  }
}

TEST(CliJson, Base64PaddingOfEveryLength) {
  const fs::path dir = test::temp_dir("cli-json-base64");
  Bytes stream;
  for (std::uint8_t n = 0; n < 8; ++n) {
    Bytes b;
    for (std::uint8_t i = 0; i < n; ++i) b.push_back(static_cast<std::uint8_t>(0xf0 + i));
    encode_flux(Value(b), stream);
  }
  test::write_file(dir / "b.flux", stream);
  const auto json = run_crous({"convert", "--to", "json", "b.flux"}, dir);
  EXPECT_EQ(json.out.rfind("{\"$bytes\":\"\"}\n{\"$bytes\":\"8A==\"}\n{\"$bytes\":\"8PE=\"}\n{\"$bytes\":\"8PHy\"}\n", 0), 0u) << json.out;
  const auto back = test::run_shell("\"$CROUS\" convert --to json b.flux | \"$CROUS\" convert --from json --to flux", dir);
  EXPECT_TRUE(back.out == std::string(stream.begin(), stream.end()));
}

// nlohmann reads an integer beyond uint64 or below int64 as a float; the
// mapping must refuse it as it refuses 2^63..2^64-1, not convert it to a
// float. The int64 boundaries convert exactly.
TEST(CliJson, IntegersOutOfRangeAreErrorsNotFloats) {
  const fs::path dir = test::temp_dir("cli-json-int-range");
  for (const std::string number : {"-9223372036854775809", "9223372036854775808", "18446744073709551615", "18446744073709551616",
                                   "123456789012345678901234567890", "-99999999999999999999999999"}) {
    SCOPED_TRACE(number);
    const std::string text = "[1]\n{\"a\": [" + number + "]}\n";
    test::write_file(dir / "n.json", Bytes(text.begin(), text.end()));
    const auto result = run_crous({"convert", "--from", "json", "--to", "flux", "n.json", "-o", "out.flux"}, dir);
    EXPECT_EQ(result.exit_code, 1);
    EXPECT_EQ(result.err, "crous convert: n.json: record 1: invalid_value at byte 4: integer " + number + " does not fit in 64 signed bits\n");
    EXPECT_FALSE(fs::exists(dir / "out.flux"));
  }
  const std::string bounds = "-9223372036854775808 9223372036854775807 -0 1e5 -1E-3\n";
  test::write_file(dir / "bounds.json", Bytes(bounds.begin(), bounds.end()));
  const auto result = run_crous({"convert", "--from", "json", "--to", "flux", "bounds.json"}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  Bytes expected = encode_flux(Value(std::numeric_limits<std::int64_t>::min()));
  for (const Value& value : {Value(std::numeric_limits<std::int64_t>::max()), Value(0), Value(100000.0), Value(-1e-3)}) encode_flux(value, expected);
  EXPECT_TRUE(result.out == std::string(expected.begin(), expected.end()));
}

// A number beyond a double is an error in the documented form, not
// nlohmann's exception text.
TEST(CliJson, NumbersBeyondADoubleAreReportedInTheDocumentedForm) {
  const fs::path dir = test::temp_dir("cli-json-float-range");
  const std::string text = "[1, 1e400]\n";
  test::write_file(dir / "f.json", Bytes(text.begin(), text.end()));
  const auto result = run_crous({"convert", "--from", "json", "--to", "flux", "f.json"}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_EQ(result.err, "crous convert: f.json: record 0: invalid_value at byte 4: number 1e400 is out of the range of a 64-bit float\n");
  const std::string negative = "{\"x\": 2}\n-1e400\n";
  test::write_file(dir / "g.json", Bytes(negative.begin(), negative.end()));
  const auto validated = run_crous({"validate", "--from", "json", "g.json"}, dir);
  EXPECT_EQ(validated.exit_code, 1);
  EXPECT_EQ(validated.err, "crous validate: g.json: record 1: invalid_value at byte 9: number -1e400 is out of the range of a 64-bit float\n");
}

// JSON nesting is bounded as FLUX nesting is (256 levels, a marker object
// not counted): deep JSON is an error, never a stack overflow.
TEST(CliJson, NestingIsBoundedLikeFlux) {
  const fs::path dir = test::temp_dir("cli-json-depth");
  const auto nested = [](std::size_t depth, const std::string& open, const std::string& close) {
    std::string text;
    for (std::size_t i = 0; i < depth; ++i) text += open;
    for (std::size_t i = 0; i < depth; ++i) text += close;
    return text + "\n";
  };
  const std::string deepest = nested(256, "{\"$tuple\": [", "]}");
  test::write_file(dir / "ok.json", Bytes(deepest.begin(), deepest.end()));
  const auto ok = test::run_shell("\"$CROUS\" convert --from json --to flux ok.json | \"$CROUS\" validate", dir);
  EXPECT_EQ(ok.exit_code, 0) << ok.err;
  EXPECT_EQ(ok.out, "<stdin>: 1 records, all valid (flux)\n");
  const std::string too_deep = nested(257, "[", "]");
  test::write_file(dir / "deep.json", Bytes(too_deep.begin(), too_deep.end()));
  const auto deep = run_crous({"convert", "--from", "json", "--to", "flux", "deep.json"}, dir);
  EXPECT_EQ(deep.exit_code, 1);
  EXPECT_EQ(deep.err, "crous convert: deep.json: record 0: depth_exceeded at byte 0: nesting deeper than the limit of 256\n");
  const std::string abyss = nested(1'000'000, "[", "]");
  test::write_file(dir / "abyss.json", Bytes(abyss.begin(), abyss.end()));
  const auto abyssal = run_crous({"validate", "--from", "json", "abyss.json"}, dir);
  EXPECT_EQ(abyssal.exit_code, 1);
  EXPECT_NE(abyssal.err.find("record 0: depth_exceeded at byte 0: "), std::string::npos) << abyssal.err;
}

// std::istream swallows what its streambuf throws and reports an end of
// file; the JSON reader must not: a read error is an I/O error, not "no
// more records".
TEST(CliJson, ReadErrorsAreNotTakenForTheEnd) {
  const fs::path dir = test::temp_dir("cli-json-read-error");
  fs::create_directory(dir / "a-directory");
  const auto result = run_crous({"validate", "--from", "json", "a-directory"}, dir);
  EXPECT_EQ(result.exit_code, 3) << result.out;
  EXPECT_NE(result.err.find("Is a directory"), std::string::npos) << result.err;
}

}  // namespace
}  // namespace crous
