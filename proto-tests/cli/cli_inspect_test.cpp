// `crous inspect` and `crous validate` on real files.
#include <gtest/gtest.h>

#include "cli_runner.hpp"
#include "crous/flux.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

namespace fs = std::filesystem;
using test::run_crous;

std::vector<std::string> lines(const std::string& text) {
  std::vector<std::string> out;
  std::size_t start = 0;
  for (std::size_t nl; (nl = text.find('\n', start)) != std::string::npos; start = nl + 1) out.push_back(text.substr(start, nl - start));
  return out;
}

TEST(CliInspect, OneLinePerRecordWithOffsetSizeKindAndPreview) {
  const fs::path dir = test::temp_dir("cli-inspect");
  const auto result = run_crous({"inspect", (test::golden_dir() / "stream" / "six-records.flux").string()}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rows = lines(result.out);
  ASSERT_EQ(rows.size(), 7u) << result.out;
  EXPECT_EQ(rows[1], "0                  0         25  dict    {\"id\": 1, \"name\": \"Alice\"}");
  EXPECT_EQ(rows[2], "1                 25         23  dict    {\"id\": 2, \"name\": \"Bob\"}");
  EXPECT_EQ(rows[6], "5                101          7  null    None");
}

TEST(CliInspect, CroutDocumentsAreListedFromStdin) {
  const fs::path dir = test::temp_dir("cli-inspect-crout");
  const auto result = run_crous({"inspect"}, dir, test::golden_dir() / "stream" / "six-records.crout");
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rows = lines(result.out);
  ASSERT_EQ(rows.size(), 7u);
  EXPECT_EQ(rows[2], "1                 37         34  dict    {\"id\": 2, \"name\": \"Bob\"}");
}

TEST(CliInspect, HexDumpAnnotatesHeaderTagsAndVarints) {
  const fs::path dir = test::temp_dir("cli-hex");
  const auto result = run_crous({"inspect", "--hex", "--record", "1", (test::golden_dir() / "stream" / "six-records.flux").string()}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out,
            "record 1 at byte 25, 23 bytes\n"
            "00000019  46 4c 55 58 01 00        header FLUX v1, flags 0x00\n"
            "0000001f  08 02                    dict, 2 entries\n"
            "00000021  02 69 64                   key \"id\"\n"
            "00000024  03 04                      int 2\n"
            "00000026  04 6e 61 6d 65             key \"name\"\n"
            "0000002b  05 03 42 6f 62             string \"Bob\" (3 bytes)\n");
}

TEST(CliInspect, HexDumpOfNestedAndLongValues) {
  const fs::path dir = test::temp_dir("cli-hex-nested");
  test::write_file(dir / "v.flux", encode_flux(Value(Tagged(90, List{std::string(40, 'x'), 300}))));
  const auto result = run_crous({"inspect", "--hex", "v.flux"}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const auto rows = lines(result.out);
  ASSERT_GE(rows.size(), 9u) << result.out;
  EXPECT_EQ(rows[2], "00000006  09 5a                    tagged 90 (set)");
  EXPECT_EQ(rows[3], "00000008  07 02                      list, 2 items");
  EXPECT_EQ(rows[4].rfind("0000000a  05 28 78 78 78 78 78 78      string \"xxxx", 0), 0u) << rows[4];
  EXPECT_NE(result.out.find("03 d8 04                     int 300"), std::string::npos) << result.out;
}

TEST(CliInspect, MissingRecordIsAnError) {
  const fs::path dir = test::temp_dir("cli-hex-missing");
  const auto result = run_crous({"inspect", "--hex", "--record", "6", (test::golden_dir() / "stream" / "six-records.flux").string()}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("there is no record 6"), std::string::npos) << result.err;
  EXPECT_EQ(run_crous({"inspect", "--record", "1"}, dir).exit_code, 2);
}

TEST(CliValidate, ValidInputsExitZero) {
  const fs::path dir = test::temp_dir("cli-validate");
  for (const char* name : {"six-records.flux", "six-records.crout"}) {
    const auto result = run_crous({"validate", (test::golden_dir() / "stream" / name).string()}, dir);
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_NE(result.out.find("6 records, all valid"), std::string::npos) << result.out;
  }
  const auto quiet = run_crous({"validate", "-q"}, dir, test::golden_dir() / "valid" / "nested.crout");
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.out, "");
}

TEST(CliValidate, EveryInvalidGoldenFileIsRejectedWithItsProblem) {
  const fs::path dir = test::temp_dir("cli-validate-bad");
  for (const auto& path : test::golden_files("invalid", ".flux")) {
    SCOPED_TRACE(path.filename().string());
    const auto result = run_crous({"validate", path.string()}, dir);
    if (path.filename() == "empty.flux") {
      EXPECT_EQ(result.exit_code, 0) << "an empty stream has no records";
      continue;
    }
    EXPECT_EQ(result.exit_code, 1) << result.out;
    EXPECT_NE(result.err.find("record 0: "), std::string::npos) << result.err;
    EXPECT_NE(result.err.find(" at byte "), std::string::npos) << result.err;
  }
}

TEST(CliValidate, ReportsTheFirstBadRecordOfAStream) {
  const fs::path dir = test::temp_dir("cli-validate-stream");
  Bytes stream;
  encode_flux(Value(1), stream);
  encode_flux(Value(2), stream);
  const std::size_t third = stream.size();
  encode_flux(Value("ok"), stream);
  stream[third + 8] = 0xff;  // invalid UTF-8 inside the third record's string
  test::write_file(dir / "s.flux", stream);
  const auto result = run_crous({"validate", "s.flux"}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("s.flux: record 2: invalid_utf8 at byte " + std::to_string(third + 8)), std::string::npos) << result.err;
}

}  // namespace
}  // namespace crous
