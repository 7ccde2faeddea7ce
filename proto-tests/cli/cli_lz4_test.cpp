// `crous` with LZ4 streams: --compress lz4 on output, compressed input read
// by detection or --decompress lz4, python-lz4's golden streams.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli_runner.hpp"
#include "crous/flux.hpp"
#include "crous/lz4_stream.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

namespace fs = std::filesystem;
using test::run_crous;
using test::run_shell;

std::string text_of(const Bytes& bytes) { return {bytes.begin(), bytes.end()}; }

Bytes decompress(const Bytes& stream, const Lz4Format& format) {
  Lz4StreamDecompressor decompressor(format);
  decompressor.append(stream);
  Bytes out;
  while (auto block = decompressor.next()) out.insert(out.end(), block->begin(), block->end());
  decompressor.finish();
  return out;
}

Bytes generated_stream(std::uint64_t seed, int records) {
  test::RandomValueGenerator generator(seed);
  Bytes stream;
  for (int i = 0; i < records; ++i) encode_flux(generator.next(), stream);
  return stream;
}

TEST(CliLz4, CompressedOutputIsTheLibrarysStreamAndReadsBackByDetection) {
  const fs::path dir = test::temp_dir("cli-lz4-out");
  const Bytes plain = generated_stream(31, 2000);
  test::write_file(dir / "in.flux", plain);
  auto result = run_crous({"convert", "--to", "flux", "--compress", "lz4", "in.flux", "-o", "out.lz4s"}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  const Bytes compressed = test::read_file(dir / "out.lz4s");
  EXPECT_LT(compressed.size(), plain.size());
  // One stream, its last block ended at the end: what the library writes.
  Lz4StreamCompressor compressor;
  Bytes expected;
  compressor.write(plain, expected);
  compressor.flush(expected);
  EXPECT_TRUE(compressed == expected);
  EXPECT_TRUE(decompress(compressed, Lz4Format{}) == plain);

  // Read back without saying it is compressed, and with --decompress.
  result = run_crous({"convert", "--to", "flux", "out.lz4s"}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(result.out == text_of(plain));
  result = run_crous({"convert", "--decompress", "lz4", "--to", "flux", "out.lz4s"}, dir);
  EXPECT_TRUE(result.out == text_of(plain));
  result = run_crous({"validate", "out.lz4s"}, dir);
  EXPECT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "out.lz4s: 2000 records, all valid (flux, read as an LZ4 stream with 65536-byte pages, 4-byte sizes)\n");
}

TEST(CliLz4, PageSizeAndWidthOptionsAndPipes) {
  const fs::path dir = test::temp_dir("cli-lz4-options");
  const Bytes plain = generated_stream(32, 500);
  test::write_file(dir / "in.flux", plain);
  const auto result = run_crous({"convert", "--to", "flux", "--compress", "lz4", "--lz4-page", "4K", "--lz4-width", "2", "in.flux", "-o", "small.lz4s"}, dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(decompress(test::read_file(dir / "small.lz4s"), Lz4Format{4096, 2}) == plain);
  // Through pipes both ways; the reader detects the width, given the page.
  const auto piped = run_shell("cat in.flux | \"$CROUS\" convert --to crout | \"$CROUS\" convert --to flux --compress lz4 --lz4-page 128 --lz4-width 1 "
                               "| \"$CROUS\" convert --to flux --lz4-page 128",
                               dir);
  ASSERT_EQ(piped.exit_code, 0) << piped.err;
  EXPECT_TRUE(piped.out == text_of(plain));
  // JSON inside LZ4 has no header to detect: --decompress says it.
  const auto json = run_shell("\"$CROUS\" convert --to json --compress lz4 in.flux | \"$CROUS\" convert --decompress lz4 --from json --to flux", dir);
  ASSERT_EQ(json.exit_code, 0) << json.err;
  EXPECT_TRUE(json.out == text_of(plain));
}

TEST(CliLz4, PythonGoldenStreamsConvertToTheirFlux) {
  const fs::path dir = test::temp_dir("cli-lz4-golden");
  std::size_t checked = 0;
  for (const auto& path : test::golden_files("lz4", ".lz4s")) {
    SCOPED_TRACE(path.filename().string());
    auto flux = path;
    const std::string expected = text_of(test::read_file(flux.replace_extension(".flux")));
    const std::string name = path.stem().string();
    const std::string page = name.substr(name.rfind("_page") + 5, name.rfind("_size") - name.rfind("_page") - 5);
    const std::string width = name.substr(name.rfind("_size") + 5);
    // Told exactly; told the page only; detected.
    for (const auto& options : {std::vector<std::string>{"--decompress", "lz4", "--lz4-page", page, "--lz4-width", width},
                                std::vector<std::string>{"--lz4-page", page}, std::vector<std::string>{}}) {
      std::vector<std::string> args{"convert", "--to", "flux"};
      args.insert(args.end(), options.begin(), options.end());
      args.push_back(path.string());
      const auto result = run_crous(args, dir);
      ASSERT_EQ(result.exit_code, 0) << result.err;
      EXPECT_TRUE(result.out == expected);
    }
    ++checked;
  }
  EXPECT_GE(checked, 6u);
}

TEST(CliLz4, BadCompressedInputIsInvalidDataWithTheCompressedOffset) {
  const fs::path dir = test::temp_dir("cli-lz4-bad");
  const Bytes plain = generated_stream(33, 300);
  Lz4StreamCompressor compressor(Lz4Format{4096, 4});
  Bytes stream;
  std::size_t last_block = 0;
  for (std::size_t at = 0; at < plain.size(); at += 1000) {
    last_block = stream.size();
    compressor.write({plain.data() + at, std::min<std::size_t>(1000, plain.size() - at)}, stream);
    compressor.flush(stream);
  }
  test::write_file(dir / "cut.lz4s", Bytes(stream.begin(), stream.end() - 3));
  test::write_file(dir / "in.flux", plain);
  auto result = run_crous({"validate", "--lz4-page", "4K", "cut.lz4s"}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("truncated at byte " + std::to_string(last_block) + ": compressed stream ends inside the LZ4 block"),
            std::string::npos)
      << result.err;

  Bytes corrupt = stream;
  corrupt[last_block] = 0xFF;  // a size prefix far beyond the bound
  corrupt[last_block + 3] = 0x7F;
  test::write_file(dir / "corrupt.lz4s", corrupt);
  result = run_crous({"convert", "--to", "crout", "--decompress", "lz4", "--lz4-page", "4K", "corrupt.lz4s", "-o", "out.crout"}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("bad_block at byte " + std::to_string(last_block)), std::string::npos) << result.err;
  EXPECT_FALSE(fs::exists(dir / "out.crout"));

  // Compressed JSON cut short: the reader must not take the cut for the end.
  result = run_shell("\"$CROUS\" convert --to json --compress lz4 --lz4-width 2 --lz4-page 4K in.flux | head -c 200 > cut.jsonl.lz4s", dir);
  ASSERT_EQ(result.exit_code, 0) << result.err;
  result = run_crous({"validate", "--decompress", "lz4", "--lz4-page", "4K", "--from", "json", "cut.jsonl.lz4s"}, dir);
  EXPECT_EQ(result.exit_code, 1) << result.out;
  EXPECT_NE(result.err.find("truncated at byte 0: compressed stream ends inside the LZ4 block"), std::string::npos) << result.err;

  // Not ours and not LZ4.
  test::write_file(dir / "junk", Bytes{'j', 'u', 'n', 'k', '!', '!', '!', '!'});
  result = run_crous({"validate", "junk"}, dir);
  EXPECT_EQ(result.exit_code, 1);
  EXPECT_NE(result.err.find("nor an LZ4 stream"), std::string::npos) << result.err;
}

TEST(CliLz4, BadOptionsAreUsageErrors) {
  const fs::path dir = test::temp_dir("cli-lz4-usage");
  test::write_file(dir / "in.flux", generated_stream(34, 3));
  for (const auto& args : {std::vector<std::string>{"convert", "--to", "flux", "--compress", "zstd", "in.flux"},
                           std::vector<std::string>{"convert", "--to", "flux", "--compress", "lz4", "--lz4-width", "3", "in.flux"},
                           std::vector<std::string>{"convert", "--to", "flux", "--compress", "lz4", "--lz4-page", "32", "in.flux"},
                           std::vector<std::string>{"convert", "--to", "flux", "--compress", "lz4", "--lz4-page", "64K", "--lz4-width", "1", "in.flux"},
                           std::vector<std::string>{"validate", "--lz4-page", "lots", "in.flux"},
                           std::vector<std::string>{"inspect", "--decompress", "gzip", "in.flux"}}) {
    const auto result = run_crous(args, dir);
    EXPECT_EQ(result.exit_code, 2) << args[3] << " " << result.err;
  }
}

}  // namespace
}  // namespace crous
