// `crous convert` run as a real process on real files.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"
#include "crous/crout.hpp"
#include "crous/flux.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

namespace fs = std::filesystem;
using test::run_crous;
using test::run_shell;

std::string text_of(const Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

TEST(CliConvert, GoldenFluxToCroutMatchesTheLibraryAndTheOriginal) {
  const fs::path dir = test::temp_dir("cli-golden-crout");
  for (const auto& flux_path : test::golden_files("valid", ".flux")) {
    SCOPED_TRACE(flux_path.filename().string());
    const auto result = run_crous({"convert", "--to", "crout", flux_path.string()}, dir);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, to_crout(decode_flux(test::read_file(flux_path))) + "\n");
    EXPECT_EQ(parse_crout(result.out), decode_flux(test::read_file(flux_path)));
  }
  const auto crout = run_crous({"convert", "--to", "crout", (test::golden_dir() / "valid" / "seed_crout_tokens.flux").string()}, dir);
  EXPECT_EQ(crout.out, test::read_text(test::golden_dir() / "valid" / "seed_crout_tokens.crout") + "\n");
}

TEST(CliConvert, GoldenCroutToFluxFileIsByteIdentical) {
  const fs::path dir = test::temp_dir("cli-golden-flux");
  for (const auto& crout_path : test::golden_files("valid", ".crout")) {
    SCOPED_TRACE(crout_path.filename().string());
    auto flux_path = crout_path;
    flux_path.replace_extension(".flux");
    const auto result = run_crous({"convert", "--to", "flux", crout_path.string(), "-o", "out.flux"}, dir);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "");
    EXPECT_EQ(test::read_file(dir / "out.flux"), test::read_file(flux_path));
  }
}

TEST(CliConvert, LegacyInputIsDetectedAndConverted) {
  const fs::path dir = test::temp_dir("cli-legacy");
  for (const auto& crou_path : test::golden_files("legacy", ".crou")) {
    auto flux_path = crou_path;
    const auto result = run_crous({"convert", "--to", "flux", crou_path.string()}, dir);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, text_of(test::read_file(flux_path.replace_extension(".flux"))));
  }
}

TEST(CliConvert, MultiRecordStreamsConvertRecordByRecord) {
  const fs::path dir = test::temp_dir("cli-stream");
  const fs::path stream = test::golden_dir() / "stream";
  const auto crout = run_crous({"convert", "--to", "crout", (stream / "six-records.flux").string()}, dir);
  ASSERT_EQ(crout.exit_code, 0) << crout.err;
  EXPECT_EQ(crout.out, test::read_text(stream / "six-records.crout"));
  const auto flux = run_crous({"convert", "--to", "flux", (stream / "six-records.crout").string()}, dir);
  EXPECT_EQ(flux.out, test::read_text(stream / "six-records.flux"));
}

// Detection looks past whitespace for a CROUT header (FLUX must start at
// byte 0); whitespace alone is a text stream without documents.
TEST(CliConvert, CroutIsDetectedAfterWhitespace) {
  const fs::path dir = test::temp_dir("cli-detect-space");
  const std::string spaced = "\n \t\r\n// a comment\nCROUT1\ni7\n";
  test::write_file(dir / "spaced.crout", Bytes(spaced.begin(), spaced.end()));
  const auto result = run_crous({"convert", "--to", "json", "spaced.crout"}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "7\n");
  test::write_file(dir / "blank", Bytes{'\n', ' ', '\n'});
  const auto blank = run_crous({"validate", "blank"}, dir);
  EXPECT_EQ(blank.exit_code, 0) << blank.err;
  EXPECT_EQ(blank.out, "blank: 0 records, all valid (crout)\n");
  test::write_file(dir / "spaced.flux", Bytes{' ', 'F', 'L', 'U', 'X', 1, 0, 3, 2});
  const auto flux = run_crous({"convert", "--to", "json", "spaced.flux"}, dir);
  EXPECT_EQ(flux.exit_code, 1);
  EXPECT_NE(flux.err.find("not FLUX, CROU or CROUT data"), std::string::npos) << flux.err;
}

// A generated stream, piped stdin -> crous -> crous -> stdout, both ways.
TEST(CliConvert, GeneratedStreamSurvivesAPipelineRoundTrip) {
  const fs::path dir = test::temp_dir("cli-pipe");
  test::RandomValueGenerator generator(99);
  Bytes stream;
  for (int i = 0; i < 3000; ++i) encode_flux(generator.next(), stream);
  test::write_file(dir / "in.flux", stream);
  for (const char* via : {"crout", "json"}) {
    SCOPED_TRACE(via);
    const std::string back = std::string("--from ") + via;
    const auto result = run_shell(std::string("cat in.flux | \"$CROUS\" convert --to ") + via + " - | \"$CROUS\" convert --to flux " + back, dir);
    ASSERT_EQ(result.exit_code, 0) << result.err;
    EXPECT_TRUE(result.out == text_of(stream)) << "round trip through " << via << " changed the bytes";
  }
  const auto pretty = run_shell("\"$CROUS\" convert --to crout --pretty < in.flux | \"$CROUS\" convert --to flux -o back.flux", dir);
  ASSERT_EQ(pretty.exit_code, 0) << pretty.err;
  EXPECT_EQ(test::read_file(dir / "back.flux"), stream);
}

// Sanitizer builds keep freed memory in quarantine (hundreds of MB) and run
// ten times slower: there the conversion is still checked, the bound is not.
#ifdef __SANITIZE_ADDRESS__
constexpr bool measure_memory = false;
constexpr int big_stream_records = 40'000;
#else
constexpr bool measure_memory = true;
constexpr int big_stream_records = 400'000;
#endif

TEST(CliConvert, LargeStreamConvertsInConstantMemory) {
  const fs::path dir = test::temp_dir("cli-memory");
  Bytes stream;
  for (int i = 0; i < big_stream_records; ++i) {
    encode_flux(Dict{{"id", i}, {"name", "user_" + std::to_string(i)}, {"scores", List{1, 2, 3, 4, 5}}, {"active", i % 2 == 0}}, stream);
  }
  ASSERT_GT(stream.size(), measure_memory ? 20u << 20 : 2u << 20);
  test::write_file(dir / "big.flux", stream);
  stream = Bytes();
  const auto to_crout = test::run_crous_measured({"convert", "--to", "crout", "big.flux", "-o", "big.crout"}, dir);
  const auto to_flux = test::run_crous_measured({"convert", "--to", "flux", "big.crout", "-o", "back.flux"}, dir);
  EXPECT_EQ(to_crout.exit_code, 0);
  EXPECT_EQ(to_flux.exit_code, 0);
  EXPECT_EQ(run_shell("cmp big.flux back.flux", dir).exit_code, 0);
  if (!measure_memory) return;
  // Holding the input (24 MB) or the output (28 MB) would need far more.
  EXPECT_GT(to_crout.peak_rss_bytes, 0u);
  EXPECT_LT(to_crout.peak_rss_bytes, 12u << 20);
  EXPECT_LT(to_flux.peak_rss_bytes, 12u << 20);
}

TEST(CliConvert, BadInputFailsCleanlyAndLeavesNoOutputFile) {
  const fs::path dir = test::temp_dir("cli-bad");
  Bytes stream;
  encode_flux(Value(List{1, 2}), stream);
  encode_flux(Value("second"), stream);
  stream.resize(stream.size() - 3);  // cut the second record short
  test::write_file(dir / "cut.flux", stream);
  const auto result = run_crous({"convert", "--to", "crout", "cut.flux", "-o", "out.crout"}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("cut.flux: record 1: truncated at byte"), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir / "out.crout"));
  for (const auto& entry : fs::directory_iterator(dir)) EXPECT_EQ(entry.path().filename(), "cut.flux") << "left behind";
}

TEST(CliConvert, BadCroutNamesLineAndColumn) {
  const fs::path dir = test::temp_dir("cli-bad-crout");
  test::write_file(dir / "bad.crout", Bytes{'C', 'R', 'O', 'U', 'T', '1', '\n', '[', 'i', '1', ' ', 'i', '2', ']'});
  const auto result = run_crous({"convert", "--to", "flux", "bad.crout"}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("record 0: syntax at byte 11: line 2, column 5: expected ',' or ']' after a list item, found 'i'"), std::string::npos) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST(CliConvert, UsageAndIoErrorsHaveTheirOwnExitCodes) {
  const fs::path dir = test::temp_dir("cli-usage");
  const auto no_target = run_crous({"convert", "x"}, dir);
  EXPECT_EQ(no_target.exit_code, 2);
  EXPECT_NE(no_target.err.find("needs --to"), std::string::npos);
  EXPECT_EQ(run_crous({"convert", "--to", "yaml"}, dir).exit_code, 2);
  EXPECT_EQ(run_crous({"convert", "--to", "crout", "--bogus"}, dir).exit_code, 2);
  EXPECT_EQ(run_crous({"frobnicate"}, dir).exit_code, 2);
  const auto missing = run_crous({"convert", "--to", "crout", "missing.flux"}, dir);
  EXPECT_EQ(missing.exit_code, 3);
  EXPECT_NE(missing.err.find("cannot open missing.flux"), std::string::npos) << missing.err;
  test::write_file(dir / "text.txt", Bytes{'h', 'e', 'l', 'l', 'o', '!', '\n'});
  const auto unknown = run_crous({"convert", "--to", "crout", "text.txt"}, dir);
  EXPECT_EQ(unknown.exit_code, 1);
  EXPECT_NE(unknown.err.find("not FLUX, CROU or CROUT data"), std::string::npos) << unknown.err;
}

TEST(CliConvert, EveryCommandHasHelp) {
  const fs::path dir = test::temp_dir("cli-help");
  for (const char* command : {"convert", "inspect", "validate"}) {
    const auto result = run_crous({command, "--help"}, dir);
    EXPECT_EQ(result.exit_code, 0);
    EXPECT_NE(result.out.find(std::string("usage: crous ") + command), std::string::npos) << result.out;
  }
  const auto top = run_crous({"--help"}, dir);
  EXPECT_EQ(top.exit_code, 0);
  EXPECT_NE(top.out.find("inspect"), std::string::npos);
  EXPECT_EQ(run_crous({}, dir).exit_code, 2);
}

}  // namespace
}  // namespace crous
