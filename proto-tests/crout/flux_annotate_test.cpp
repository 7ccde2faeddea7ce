// annotate_flux: every byte of the record appears exactly once, next to
// what it means.
#include <gtest/gtest.h>

#include <sstream>

#include "crous/flux.hpp"
#include "crous/flux_annotate.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

TEST(FluxAnnotate, BytesValuesKeepTheirOctetsOnTheirOwnLine) {
  const Bytes flux = encode_flux(Value(Dict{{"k", Bytes{0xde, 0xad}}, {"n", nullptr}}));
  EXPECT_EQ(annotate_flux(flux, 0x10),
            "00000010  46 4c 55 58 01 00        header FLUX v1, flags 0x00\n"
            "00000016  08 02                    dict, 2 entries\n"
            "00000018  01 6b                      key \"k\"\n"
            "0000001a  06 02 de ad                bytes, 2 octets\n"
            "0000001e  01 6e                      key \"n\"\n"
            "00000020  00                         null\n");
}

TEST(FluxAnnotate, LegacyRecordsAreNamedAsSuch) {
  for (const auto& path : test::golden_files("legacy", ".crou")) {
    const std::string dump = annotate_flux(test::read_file(path));
    EXPECT_EQ(dump.rfind("00000000  43 52 4f 55 02 00        header CROU v2 (legacy), flags 0x00\n", 0), 0u) << dump;
  }
}

TEST(FluxAnnotate, LegacySmallIntTagsInFluxAreOneByte) {
  const Bytes flux{'F', 'L', 'U', 'X', 1, 0, 0x07, 0x03, 0x10, 0x48, 0x03, 0x7f};
  EXPECT_EQ(annotate_flux(flux),
            "00000000  46 4c 55 58 01 00        header FLUX v1, flags 0x00\n"
            "00000006  07 03                    list, 3 items\n"
            "00000008  10                         int 0\n"
            "00000009  48                         int -32\n"
            "0000000a  03 7f                      int -64\n");
}

TEST(FluxAnnotate, EveryGoldenRecordIsCoveredByteForByte) {
  auto paths = test::golden_files("valid", ".flux");
  for (const auto& path : test::golden_files("legacy", ".crou")) paths.push_back(path);
  for (const auto& path : paths) {
    SCOPED_TRACE(path.filename().string());
    const Bytes flux = test::read_file(path);
    // Re-read the hex column of every line; elided long values say how much
    // they skipped.
    std::size_t covered = 0;
    std::istringstream lines(annotate_flux(flux));
    for (std::string line; std::getline(lines, line);) {
      const std::string elided = std::string(10, ' ') + "... ";
      if (line.rfind(elided, 0) == 0) {
        covered += std::stoull(line.substr(elided.size()));
        continue;
      }
      for (std::size_t i = 10; i + 2 <= line.size() && i < 10 + 24 && line[i] != ' '; i += 3) {
        EXPECT_EQ(std::stoul(line.substr(i, 2), nullptr, 16), flux[covered]);
        ++covered;
      }
    }
    EXPECT_EQ(covered, flux.size());
  }
}

TEST(FluxAnnotate, MalformedRecordsAreRefused) {
  for (const auto& path : test::golden_files("invalid", ".flux")) EXPECT_THROW(annotate_flux(test::read_file(path)), DecodeError) << path;
}

}  // namespace
}  // namespace crous
