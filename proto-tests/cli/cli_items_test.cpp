// --items (the items of each record, one at a time) and --max-record-bytes,
// through the real binary: what StreamingWriter writes, the CLI reads back.
#include <gtest/gtest.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <string>

#include "cli_runner.hpp"
#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "crous/streaming_writer.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

namespace fs = std::filesystem;
using test::run_crous;

// Sanitizer builds run ten times slower and hold freed memory on purpose:
// there the list is smaller (still over the 16 MiB record limit) and RSS is
// not measured.
#ifdef __SANITIZE_ADDRESS__
constexpr std::uint64_t huge_list_items = 250'000;
#else
constexpr std::uint64_t huge_list_items = 1'000'000;
#endif
// One item is larger than the others, so that a limit between the two
// sizes fails there, deep in the record.
constexpr std::uint64_t big_item = huge_list_items / 2;

std::string pad_of(std::uint64_t i) { return std::string(i == big_item ? 1000 : 40, 'x'); }

// Item i as `crous convert --items --to json` prints it.
std::string item_json(std::uint64_t i) {
  return R"({"id":)" + std::to_string(i) + R"(,"name":"user_)" + std::to_string(i) + R"(","pad":")" + pad_of(i) + "\"}";
}

// One FLUX record: a list of huge_list_items dicts, written item by item.
void write_huge_list(const fs::path& path) {
  std::FILE* file = std::fopen(path.c_str(), "wb");
  ASSERT_NE(file, nullptr);
  {
    FileOutputStream out(file);
    StreamingWriter writer(out);
    writer.begin_list(huge_list_items);
    for (std::uint64_t i = 0; i < huge_list_items; ++i) {
      writer.begin_dict(3);
      writer.key("id");
      writer.value(static_cast<std::int64_t>(i));
      writer.key("name");
      writer.value("user_" + std::to_string(i));
      writer.key("pad");
      writer.value(pad_of(i));
      writer.end();
    }
    writer.end();
    out.flush();
  }
  std::fclose(file);
}

TEST(CliItems, AHugeListConvertsItemByItemInConstantMemory) {
  const fs::path dir = test::temp_dir("cli-items-huge");
  write_huge_list(dir / "huge.flux");
  const auto file_size = fs::file_size(dir / "huge.flux");
  ASSERT_GT(file_size, std::uintmax_t{16} << 20) << "the record must be over the default limit";

  // Read whole, the record is over the limit, as it always was.
  const auto whole = run_crous({"validate", "huge.flux"}, dir);
  EXPECT_EQ(whole.exit_code, 1);
  EXPECT_NE(whole.err.find("crous validate: huge.flux: record 0: limit_exceeded at byte "), std::string::npos) << whole.err;
  EXPECT_NE(whole.err.find("16777216"), std::string::npos) << whole.err;

  const auto converted = test::run_crous_measured({"convert", "--items", "--to", "json", "huge.flux", "-o", "items.jsonl"}, dir);
  ASSERT_EQ(converted.exit_code, 0);
  std::ifstream lines(dir / "items.jsonl");
  std::string line;
  std::uint64_t count = 0;
  while (std::getline(lines, line)) {
    if (line != item_json(count)) {
      ADD_FAILURE() << "item " << count << " is " << line.substr(0, 200);
      break;
    }
    ++count;
  }
  EXPECT_EQ(count, huge_list_items);
  if (test::rss_is_meaningful) {
    EXPECT_GT(converted.peak_rss_bytes, 0u);
    EXPECT_LT(converted.peak_rss_bytes, std::size_t{8} << 20) << "for a record of " << file_size << " bytes";
  }

  const auto valid = run_crous({"validate", "--items", "huge.flux"}, dir);
  EXPECT_EQ(valid.exit_code, 0) << valid.err;
  EXPECT_EQ(valid.out, "huge.flux: 1 records, " + std::to_string(huge_list_items) + " items, all valid (flux)\n");

  // With --items the limit bounds each item: the one big item is refused,
  // and the error says which it is.
  const auto limited = run_crous({"validate", "--items", "--max-record-bytes", "512", "huge.flux"}, dir);
  EXPECT_EQ(limited.exit_code, 1);
  EXPECT_NE(limited.err.find("crous validate: huge.flux: record 0: limit_exceeded at byte "), std::string::npos) << limited.err;
  EXPECT_NE(limited.err.find(": item " + std::to_string(big_item) + ": "), std::string::npos) << limited.err;
  EXPECT_EQ(run_crous({"validate", "--items", "--max-record-bytes", "2K", "huge.flux"}, dir).exit_code, 0);
}

// --max-record-bytes raises the 16 MiB limit deliberately, or lowers it,
// for every format.
TEST(CliItems, MaxRecordBytesRaisesAndLowersTheLimit) {
  const fs::path dir = test::temp_dir("cli-max-record");
  const std::string text((std::size_t{17} << 20), 'a');
  Bytes big = encode_flux(Value(List{Value(text)}));
  test::write_file(dir / "big.flux", big);
  big = Bytes();
  const auto refused = run_crous({"validate", "big.flux"}, dir);
  EXPECT_EQ(refused.exit_code, 1);
  EXPECT_NE(refused.err.find("record 0: limit_exceeded"), std::string::npos) << refused.err;
  const auto raised = run_crous({"validate", "--max-record-bytes", "32M", "big.flux"}, dir);
  EXPECT_EQ(raised.exit_code, 0) << raised.err;
  EXPECT_EQ(raised.out, "big.flux: 1 records, all valid (flux)\n");
  const auto to_crout = run_crous({"convert", "--max-record-bytes=18M", "--to", "crout", "big.flux", "-o", "big.crout"}, dir);
  EXPECT_EQ(to_crout.exit_code, 0) << to_crout.err;
  EXPECT_EQ(run_crous({"validate", "big.crout"}, dir).exit_code, 1) << "CROUT documents have the same limit";
  EXPECT_EQ(run_crous({"validate", "--max-record-bytes", "18M", "big.crout"}, dir).exit_code, 0);

  const std::string json = "[1, 2]\n[\"" + std::string(2000, 'j') + "\"]\n";
  test::write_file(dir / "in.json", Bytes(json.begin(), json.end()));
  const auto json_refused = run_crous({"convert", "--from", "json", "--to", "flux", "--max-record-bytes", "1K", "in.json"}, dir);
  EXPECT_EQ(json_refused.exit_code, 1);
  EXPECT_NE(json_refused.err.find("crous convert: in.json: record 1: limit_exceeded at byte 7: value longer than the record limit of 1024 bytes"),
            std::string::npos)
      << json_refused.err;
  EXPECT_EQ(run_crous({"convert", "--from", "json", "--to", "flux", "--max-record-bytes", "4K", "in.json"}, dir).exit_code, 0);
  const auto inspected = run_crous({"inspect", "--max-record-bytes", "8", "big.flux"}, dir);
  EXPECT_EQ(inspected.exit_code, 1);
  EXPECT_NE(inspected.err.find("record limit of 8 bytes"), std::string::npos) << inspected.err;

  for (const char* bad : {"0", "-5", "1T", "K", "99999999999999999999"}) {
    const auto usage = run_crous({"validate", "--max-record-bytes", bad, "big.flux"}, dir);
    EXPECT_EQ(usage.exit_code, 2) << bad;
  }
}

TEST(CliItems, ItemsOfEveryFormatAndKind) {
  const fs::path dir = test::temp_dir("cli-items-kinds");
  Bytes stream = encode_flux(Value(List{1, "two"}));
  encode_flux(Value(Dict{{"a", 1}, {"b", Tuple{2}}}), stream);
  encode_flux(Value(List{}), stream);
  encode_flux(Value(Tuple{nullptr}), stream);
  test::write_file(dir / "in.flux", stream);
  const std::string expected = "1\n\"two\"\n[\"a\",1]\n[\"b\",{\"$tuple\":[2]}]\nnull\n";
  const auto from_flux = run_crous({"convert", "--items", "--to", "json", "in.flux"}, dir);
  ASSERT_EQ(from_flux.exit_code, 0) << from_flux.err;
  EXPECT_EQ(from_flux.out, expected);
  // The same items from CROUT and JSON, read whole and split.
  ASSERT_EQ(run_crous({"convert", "--to", "crout", "in.flux", "-o", "in.crout"}, dir).exit_code, 0);
  ASSERT_EQ(run_crous({"convert", "--to", "json", "in.flux", "-o", "in.json"}, dir).exit_code, 0);
  EXPECT_EQ(run_crous({"convert", "--items", "--to", "json", "in.crout"}, dir).out, expected);
  EXPECT_EQ(run_crous({"convert", "--items", "--from", "json", "--to", "json", "in.json"}, dir).out, expected);
  // Items become records of their own in any format.
  const auto to_flux = run_crous({"convert", "--items", "--to", "flux", "in.flux"}, dir);
  ASSERT_EQ(to_flux.exit_code, 0) << to_flux.err;
  Bytes items = encode_flux(Value(1));
  for (const Value& item : {Value("two"), Value(List{"a", 1}), Value(List{"b", Tuple{2}}), Value(nullptr)}) encode_flux(item, items);
  EXPECT_TRUE(to_flux.out == std::string(items.begin(), items.end()));

  const auto listed = run_crous({"inspect", "--items", "in.flux"}, dir);
  ASSERT_EQ(listed.exit_code, 0) << listed.err;
  EXPECT_EQ(listed.out,
            "record  item             offset       size  kind    preview\n"
            "0       0                     8          2  int     1\n"
            "0       1                    10          5  string  \"two\"\n"
            "1       0                    23          4  list    [\"a\", 1]\n"
            "1       1                    27          6  list    [\"b\", (2)]\n"
            "3       0                    49          1  null    None\n");
  const auto listed_json = run_crous({"inspect", "--items", "--from", "json", "in.json"}, dir);
  EXPECT_NE(listed_json.out.find("1       1                     -          -  list    [\"b\", (2)]\n"), std::string::npos) << listed_json.out;
  EXPECT_EQ(run_crous({"validate", "--items", "in.flux"}, dir).out, "in.flux: 4 records, 5 items, all valid (flux)\n");
  EXPECT_EQ(run_crous({"validate", "--items", "-q", "in.crout"}, dir).out, "");
  EXPECT_EQ(run_crous({"inspect", "--items", "--hex", "in.flux"}, dir).exit_code, 2);
}

TEST(CliItems, RecordsThatAreNoContainerOrCutAreReportedInTheDocumentedForm) {
  const fs::path dir = test::temp_dir("cli-items-errors");
  Bytes stream = encode_flux(Value(List{1}));
  const std::size_t second = stream.size();
  encode_flux(Value("scalar"), stream);
  test::write_file(dir / "scalar.flux", stream);
  const auto scalar = run_crous({"convert", "--items", "--to", "json", "scalar.flux", "-o", "out.jsonl"}, dir);
  EXPECT_EQ(scalar.exit_code, 1);
  EXPECT_EQ(scalar.err, "crous convert: scalar.flux: record 1: invalid_value at byte " + std::to_string(second + 6) +
                            ": lazy reading needs a list, tuple or dict at the top of the record\n");
  EXPECT_FALSE(fs::exists(dir / "out.jsonl"));
  const std::string json = "[1]\n\"scalar\"\n";
  test::write_file(dir / "scalar.json", Bytes(json.begin(), json.end()));
  const auto scalar_json = run_crous({"validate", "--items", "--from", "json", "scalar.json"}, dir);
  EXPECT_EQ(scalar_json.err, "crous validate: scalar.json: record 1: invalid_value at byte 4: lazy reading needs a list, tuple or dict at the top of the record\n");

  Bytes cut = encode_flux(Value(List{"a", "b", "c"}));
  cut.pop_back();
  test::write_file(dir / "cut.flux", cut);
  const auto truncated = run_crous({"validate", "--items", "cut.flux"}, dir);
  EXPECT_EQ(truncated.exit_code, 1);
  EXPECT_NE(truncated.err.find("crous validate: cut.flux: record 0: truncated at byte " + std::to_string(cut.size()) + ": item 2: "),
            std::string::npos)
      << truncated.err;

  // Legacy CROU records cannot be read item by item.
  const auto crou = test::golden_files("legacy", ".crou");
  ASSERT_FALSE(crou.empty());
  const auto legacy = run_crous({"validate", "--items", crou.front().string()}, dir);
  EXPECT_EQ(legacy.exit_code, 1);
  EXPECT_NE(legacy.err.find("record 0: bad_header at byte 0: lazy reading needs a FLUX v1 record"), std::string::npos) << legacy.err;
}

}  // namespace
}  // namespace crous
