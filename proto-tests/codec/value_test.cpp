#include <gtest/gtest.h>

#include <cmath>
#include <sstream>

#include "crous/flux.hpp"
#include "crous/value.hpp"

namespace crous {
namespace {

TEST(Value, BuildsARecordInOneExpressionAndReadsItBack) {
  const Value user = Dict{{"name", "Alice"}, {"age", 30}, {"scores", List{98, 95, 100}},
                          {"pos", Tuple{1.5, -2.0}}, {"raw", Bytes{0, 255}}, {"set", Tagged(90, List{1, 2})},
                          {"nothing", nullptr}, {"active", true}};
  EXPECT_EQ(user["name"].as_string(), "Alice");
  EXPECT_EQ(user["age"].as_int(), 30);
  EXPECT_EQ(user["scores"][1].as_int(), 95);
  EXPECT_EQ(user["pos"][0].as_float(), 1.5);
  EXPECT_EQ(user["raw"].as_bytes(), (Bytes{0, 255}));
  EXPECT_EQ(user["set"].as_tagged().tag(), 90u);
  EXPECT_TRUE(user["nothing"].is_null());
  EXPECT_TRUE(user["active"].as_bool());
  EXPECT_EQ(user.size(), 8u);
  EXPECT_EQ(user.kind(), Kind::dict);
}

TEST(Value, WrongKindAndMissingKeyGiveClearErrors) {
  const Value v = Dict{{"n", 1}};
  try {
    (void)v["n"].as_string();
    FAIL() << "no TypeError";
  } catch (const TypeError& e) {
    EXPECT_STREQ(e.what(), "expected string, got int");
  }
  EXPECT_THROW((void)v["missing"], KeyError);
  EXPECT_THROW((void)v[0], TypeError);
  EXPECT_THROW((void)Value(List{1})[5], KeyError);
  EXPECT_EQ(v.find("missing"), nullptr);
  EXPECT_THROW(Value(UINT64_MAX), std::overflow_error);
}

TEST(Value, MutableAccessBuildsDictsLikeNlohmannJson) {
  Value v;
  v["a"] = 1;
  v["b"]["c"] = "deep";
  v["a"] = 2;  // replaces in place
  EXPECT_EQ(v, Value(Dict{{"a", 2}, {"b", Dict{{"c", "deep"}}}}));
}

TEST(Value, FloatEqualityIsBitwise) {
  EXPECT_EQ(Value(std::nan("")), Value(std::nan("")));
  EXPECT_NE(Value(0.0), Value(-0.0));
  EXPECT_NE(Value(1), Value(1.0));
  EXPECT_NE(Value(List{1}), Value(Tuple{1}));
  EXPECT_EQ(Value(List{std::nan("")}), Value(List{std::nan("")}));
}

TEST(Value, DebugPrintIsReadable) {
  const Value v = Dict{{"s", "a\"b\n"}, {"l", List{1, 2.5, nullptr, true}}, {"t", Tuple{}},
                       {"b", Bytes{0x00, 0x41}}, {"g", Tagged(7, -0.0)}, {"n", std::nan("")}};
  EXPECT_EQ(v.debug_string(), R"({"s": "a\"b\n", "l": [1, 2.5, None, True], "t": (), "b": b'\x00A', "g": #7(-0.0), "n": nan})");
  std::ostringstream os;
  os << Value(1e300);
  EXPECT_EQ(os.str(), "1e+300");
}

TEST(Dict, DuplicateKeysLaterValueWinsFirstPositionKept) {
  Dict d{{"a", 1}, {"b", 2}, {"a", 3}};
  ASSERT_EQ(d.size(), 2u);
  EXPECT_EQ(d.entries()[0].first, "a");
  EXPECT_EQ(d.entries()[0].second, Value(3));
  EXPECT_TRUE(d.erase("a"));
  EXPECT_FALSE(d.contains("a"));
  EXPECT_EQ(d.entries()[0].first, "b");
}

// The original decoder is quadratic here (~10^10 comparisons). This checks
// the result; the cost is measured in bench/codec_bench (BM_DecodeDict100k).
TEST(Dict, HundredThousandKeysWithDuplicatesDecodeCorrectly) {
  Dict d;
  for (int i = 0; i < 100000; ++i) d.insert_or_assign("key" + std::to_string(i), i);
  Bytes flux = encode_flux(Value(d));
  // Append a duplicate of key 0 by rewriting the count: rebuild via a raw dict.
  Bytes raw = {'F', 'L', 'U', 'X', 1, 0, 0x08};
  std::uint64_t count = 100001;
  while (count >= 0x80) {
    raw.push_back(static_cast<std::uint8_t>(count | 0x80));
    count >>= 7;
  }
  raw.push_back(static_cast<std::uint8_t>(count));
  const std::size_t body = 6 + 1 + 3;  // header, tag, 3-byte count of 100000
  raw.insert(raw.end(), flux.begin() + body, flux.end());
  const Bytes dup = {4, 'k', 'e', 'y', '0', 0x03, 0x0E};  // "key0": 7
  raw.insert(raw.end(), dup.begin(), dup.end());
  const Value decoded = decode_flux(raw);
  ASSERT_EQ(decoded.size(), 100000u);
  EXPECT_EQ(decoded["key0"], Value(7));
  EXPECT_EQ(decoded.as_dict().entries()[0].first, "key0");
  EXPECT_EQ(decoded["key99999"], Value(99999));
  EXPECT_EQ(decoded.as_dict().entries()[99999].first, "key99999");
}

struct Point {
  int x = 0;
  int y = 0;
  bool operator==(const Point&) const = default;
};
void to_crous(Value& out, const Point& p) { out = Tuple{p.x, p.y}; }
void from_crous(const Value& in, Point& p) {
  p.x = in[0].get<int>();
  p.y = in[1].get<int>();
}

TEST(Value, UserTypesConvertThroughAdlHooks) {
  const Value v = List{Point{1, 2}, Point{3, 4}};
  EXPECT_EQ(v[1], Value(Tuple{3, 4}));
  EXPECT_EQ(v[0].get<Point>(), (Point{1, 2}));
  EXPECT_EQ(decode_flux(encode_flux(v))[1].get<Point>(), (Point{3, 4}));
}

}  // namespace
}  // namespace crous
