// The CROUT writer: float spelling, the original's token-table rule, and the
// pretty layout.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "crous/crout.hpp"
#include "crous/stream.hpp"

namespace crous {
namespace {

std::string body(const Value& v, CroutStyle style = CroutStyle::compact) {
  const std::string text = to_crout(v, style);
  EXPECT_EQ(text.rfind("CROUT1\n", 0), 0u);
  return text.substr(7);
}

TEST(CroutWriter, FloatsUseTheShortestRoundTripForm) {
  EXPECT_EQ(body(3.14), "f3.14");
  EXPECT_EQ(body(0.1), "f0.1");
  EXPECT_EQ(body(1.0), "f1");
  EXPECT_EQ(body(1e300), "f1e+300");
  EXPECT_EQ(body(5e-324), "f5e-324");
  EXPECT_EQ(body(-0.0), "f-0");
  EXPECT_EQ(body(0.0), "f0");
  EXPECT_EQ(body(std::numeric_limits<double>::infinity()), "finf");
  EXPECT_EQ(body(-std::numeric_limits<double>::infinity()), "f-inf");
  EXPECT_EQ(body(std::numeric_limits<double>::quiet_NaN()), "fnan");
}

double double_from_bits(std::uint64_t bits) {
  double d;
  std::memcpy(&d, &bits, sizeof d);
  return d;
}

// Regression: the writer used to leave the spelling of NaN to std::to_chars,
// and libc++ spells a negative signalling NaN "-nan(snan)", which the reader
// refuses. Every NaN, whatever its sign and payload, is written "fnan".
TEST(CroutWriter, EveryNanIsWrittenAsNanWhateverItsSignAndPayload) {
  for (const std::uint64_t bits : {0x7ff8000000000000ull, 0xfff8000000000000ull, 0x7ff0000000000001ull, 0xfff000000000000full,
                                   0x7fffffffffffffffull, 0xffffffffffffffffull}) {
    const double nan = double_from_bits(bits);
    ASSERT_TRUE(std::isnan(nan));
    EXPECT_EQ(body(nan), "fnan") << std::hex << bits;
    EXPECT_EQ(body(nan, CroutStyle::pretty), "fnan") << std::hex << bits;
    EXPECT_TRUE(std::isnan(parse_crout(to_crout(nan)).as_float())) << std::hex << bits;
  }
  // The FLUX record of the report: a float with the bits fff000000000000f.
  const Bytes flux{0x46, 0x4c, 0x55, 0x58, 0x01, 0x00, 0x04, 0x0f, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0xff};
  const std::string text = flux_to_crout(flux);
  EXPECT_EQ(text, "CROUT1\nfnan");
  EXPECT_TRUE(std::isnan(decode_flux(crout_to_flux(text)).as_float()));
}

TEST(CroutWriter, ScalarsAndContainers) {
  const Value v = List{nullptr, true, false, -7, "txt", Bytes{0x01, 0xab}, Tuple{}, Dict{}, Tagged(90, List{1})};
  EXPECT_EQ(body(v), "[N , T , F , i-7 , s3:txt , b2:01ab , () , {} , #90:[i1]]");
}

// Keys counted in document order: A twice, B twice, C three times. The
// original's selection sort swaps C to the front, which moves A behind B;
// a stable sort would give C, A, B.
TEST(CroutWriter, TokenOrderFollowsTheOriginalsSelectionSort) {
  const Value v = List{Dict{{"A", 1}, {"B", 2}, {"C", 3}}, Dict{{"A", 1}, {"B", 2}, {"C", 3}}, Dict{{"C", 3}}};
  EXPECT_EQ(body(v), "@ a=C\n@ c=B\n@ d=A\n[{d:i1 , c:i2 , a:i3} , {d:i1 , c:i2 , a:i3} , {a:i3}]");
}

TEST(CroutWriter, KeysSeenOnceAreNotTokenised) {
  EXPECT_EQ(body(Dict{{"x", Dict{{"x", 1}, {"y", 2}}}}), "@ a=x\n{a:{a:i1 , s1:y:i2}}");
}

TEST(CroutWriter, OnlyTheFirst55DistinctKeysAreCounted) {
  Dict first;
  for (int i = 0; i < 55; ++i) first.insert_or_assign(std::string(1, 'k').append(std::to_string(i)), i);
  // "late" is the 56th distinct key: however often it repeats, it is never tracked.
  List records{Value(first)};
  for (int i = 0; i < 5; ++i) records.push_back(Dict{{"late", i}, {"k0", i}});
  const std::string text = body(records);
  EXPECT_NE(text.find("@ a=k0\n"), std::string::npos);
  EXPECT_EQ(text.find("=late"), std::string::npos);
  EXPECT_NE(text.find("{s4:late:i0 , a:i0}"), std::string::npos);
  EXPECT_EQ(parse_crout(to_crout(records)), Value(records));
}

TEST(CroutWriter, AtMost54TokensFromTheAlphabet) {
  Dict d;
  for (int i = 0; i < 55; ++i) d.insert_or_assign("key" + std::to_string(i), i);
  const Value v = List{d, d};
  const std::string text = body(v);
  EXPECT_NE(text.find("@ 9=key53\n"), std::string::npos);
  EXPECT_EQ(text.find("=key54\n"), std::string::npos);
  EXPECT_NE(text.find("s5:key54:i54"), std::string::npos);
  EXPECT_EQ(parse_crout(to_crout(v)), v);
}

TEST(CroutWriter, KeysWithNewlinesAreNeverTokenised) {
  const Value v = List{Dict{{"a\nb", 1}, {"k", 2}}, Dict{{"a\nb", 3}, {"k", 4}}};
  EXPECT_EQ(body(v), "@ a=k\n[{s3:a\nb:i1 , a:i2} , {s3:a\nb:i3 , a:i4}]");
  EXPECT_EQ(parse_crout(to_crout(v)), v);
}

TEST(CroutWriter, PrettyLayout) {
  const Value v = Dict{{"name", "Alice"}, {"scores", List{98, 95}}, {"s1x", Dict{}}, {"odd key", Tagged(90, List{1})}, {"empty", List{}}};
  EXPECT_EQ(to_crout(v, CroutStyle::pretty),
            "CROUT1\n"
            "{\n"
            "  name: s5:Alice,\n"
            "  scores: [\n"
            "    i98,\n"
            "    i95\n"
            "  ],\n"
            "  s3:s1x: {},\n"
            "  s7:odd key: #90:[\n"
            "    i1\n"
            "  ],\n"
            "  empty: []\n"
            "}");
  EXPECT_EQ(parse_crout(to_crout(v, CroutStyle::pretty)), v);
}

TEST(CroutWriter, StreamOutputEqualsStringOutput) {
  Dict big;
  for (int i = 0; i < 5000; ++i) big.insert_or_assign("key" + std::to_string(i % 100) + "_" + std::to_string(i), std::string(40, 'v'));
  const Value v = List{big, big};
  for (const auto style : {CroutStyle::compact, CroutStyle::pretty}) {
    Bytes bytes;
    {
      MemoryOutputStream out(bytes);
      write_crout(v, out, style);
      out.flush();
    }
    EXPECT_EQ(std::string(bytes.begin(), bytes.end()), to_crout(v, style));
  }
}

}  // namespace
}  // namespace crous
