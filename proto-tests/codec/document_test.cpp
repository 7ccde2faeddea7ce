// crous::Document (zero-copy read-only decode) against decode_flux: same
// values, same errors (code, offset and message), same limits.
#include <gtest/gtest.h>

#include <algorithm>
#include <iterator>
#include <optional>

#include "crous/document.hpp"
#include "crous/flux.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

using test::golden_files;
using test::read_file;

// The error decode_flux raises for `data`, if any.
std::optional<DecodeError> flux_error(ByteView data, const Limits& limits = {}) {
  try {
    decode_flux(data, limits);
  } catch (const DecodeError& e) {
    return e;
  }
  return std::nullopt;
}

// Expects Document::decode to agree with decode_flux on `data`.
void expect_same(ByteView data, const Limits& limits = {}) {
  const std::optional<DecodeError> want = flux_error(data, limits);
  Document doc;
  try {
    doc.decode(data, limits);
  } catch (const DecodeError& e) {
    ASSERT_TRUE(want.has_value()) << "document refused what decode_flux accepts: " << e.what();
    EXPECT_EQ(e.code(), want->code()) << e.what() << " vs " << want->what();
    EXPECT_EQ(e.offset(), want->offset()) << e.what() << " vs " << want->what();
    EXPECT_EQ(e.message(), want->message());
    EXPECT_TRUE(doc.empty());
    return;
  }
  ASSERT_FALSE(want.has_value()) << "document accepted what decode_flux refuses: " << want->what();
  const Value expected = decode_flux(data, limits);
  EXPECT_EQ(doc.to_value(), expected) << doc.to_value().debug_string() << " vs " << expected.debug_string();
  EXPECT_TRUE(doc.root() == expected);
}

Bytes doc_bytes(std::initializer_list<std::uint8_t> body) {
  Bytes b(6 + body.size());
  const std::uint8_t header[] = {'F', 'L', 'U', 'X', 1, 0};
  std::copy(std::begin(header), std::end(header), b.begin());
  std::copy(body.begin(), body.end(), b.begin() + 6);
  return b;
}

TEST(Document, GoldenValidAndLegacyFilesDecodeLikeDecodeFlux) {
  std::size_t checked = 0;
  const std::pair<const char*, const char*> sets[] = {{"valid", ".flux"}, {"legacy", ".crou"}, {"legacy", ".flux"}};
  for (const auto& [sub, ext] : sets) {
    for (const auto& path : golden_files(sub, ext)) {
      SCOPED_TRACE(path.filename().string());
      const Bytes data = read_file(path);
      expect_same(data);
      ++checked;
    }
  }
  EXPECT_GE(checked, 60u);
}

TEST(Document, GoldenInvalidFilesFailWithTheSameError) {
  std::size_t checked = 0;
  for (const auto& path : golden_files("invalid", ".flux")) {
    SCOPED_TRACE(path.filename().string());
    const Bytes data = read_file(path);
    ASSERT_TRUE(flux_error(data).has_value());
    expect_same(data);
    ++checked;
  }
  EXPECT_GE(checked, 15u);
}

TEST(Document, RandomValuesMatchDecodeFlux) {
  test::RandomValueGenerator gen(11);
  Document doc;  // reused: each decode replaces the last
  for (int i = 0; i < 500; ++i) {
    const Value v = gen.next();
    const Bytes bytes = encode_flux(v);
    doc.decode(bytes);
    ASSERT_EQ(doc.to_value(), v) << v.debug_string();
    expect_same(bytes);
  }
}

TEST(Document, EveryTruncationAndLimitFailsLikeDecodeFlux) {
  test::RandomValueGenerator gen(7, {.max_depth = 4, .max_items = 5});
  for (int i = 0; i < 30; ++i) {
    const Bytes full = encode_flux(gen.next());
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
      SCOPED_TRACE(cut);
      expect_same(ByteView(full.data(), cut));
      expect_same(full, Limits{.max_record_bytes = cut});
    }
    expect_same(full, Limits{.max_depth = 2});
  }
  expect_same(doc_bytes({0x05, 0x02, 0xC0, 0x80}));                          // overlong UTF-8
  expect_same(doc_bytes({0x05, 0x02, 0xC0, 0x80}), Limits{.validate_utf8 = false});
  expect_same(doc_bytes({0x09, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00}));        // tag > 32 bits
  expect_same(doc_bytes({0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02}));
  expect_same(doc_bytes({0x08, 0x20}), Limits{.max_record_bytes = 64});
  Bytes two = encode_flux(Value(1));
  const Bytes second = encode_flux(Value(2));
  two.insert(two.end(), second.begin(), second.end());
  expect_same(two);  // trailing bytes
  Document doc;
  EXPECT_EQ(doc.decode_prefix(two), 8u);
  EXPECT_EQ(doc.root().as_int(), 1);
}

TEST(Document, AccessorsAreZeroCopyViews) {
  const Value v = Dict{{"id", 7},           {"name", "Alice"},      {"scores", List{98, 95, 100}},
                       {"ok", true},        {"ratio", 0.5},         {"pt", Tuple{1, 2}},
                       {"raw", Bytes{1, 2}}, {"set", Tagged(90, List{1})}, {"none", nullptr}};
  const Bytes bytes = encode_flux(v);
  const Document doc = Document::parse(bytes);
  const ValueRef r = doc.root();
  ASSERT_TRUE(r.is_dict());
  EXPECT_EQ(r.size(), 9u);
  EXPECT_EQ(r["id"].as_int(), 7);
  const std::string_view name = r["name"].as_string();
  EXPECT_EQ(name, "Alice");
  EXPECT_TRUE(reinterpret_cast<const std::uint8_t*>(name.data()) >= bytes.data() &&
              reinterpret_cast<const std::uint8_t*>(name.data()) < bytes.data() + bytes.size());
  EXPECT_EQ(r["scores"][1].as_int(), 95);
  EXPECT_EQ(r["scores"].size(), 3u);
  EXPECT_TRUE(r["ok"].as_bool());
  EXPECT_EQ(r["ratio"].as_float(), 0.5);
  EXPECT_TRUE(r["pt"].is_tuple());
  EXPECT_EQ(r["pt"][0].as_int(), 1);
  EXPECT_EQ(r["raw"].as_bytes().size(), 2u);
  EXPECT_EQ(r["set"].tag(), 90u);
  EXPECT_EQ(r["set"].tagged_value()[0].as_int(), 1);
  EXPECT_TRUE(r["none"].is_null());
  EXPECT_EQ(r.key_at(2), "scores");
  EXPECT_EQ(r.value_at(0).as_int(), 7);
  EXPECT_FALSE(r.contains("missing"));
  EXPECT_THROW(r["missing"], KeyError);
  EXPECT_THROW(r["scores"][3], KeyError);
  EXPECT_THROW(r["id"].as_string(), TypeError);
  EXPECT_THROW(r["id"].size(), TypeError);
  std::int64_t sum = 0;
  for (const ValueRef item : r["scores"].items()) sum += item.as_int();
  EXPECT_EQ(sum, 293);
  std::vector<std::string_view> keys;
  for (const auto& [key, value] : r.entries()) keys.push_back(key);
  EXPECT_EQ(keys.size(), 9u);
  EXPECT_EQ(keys.front(), "id");
  EXPECT_EQ(keys.back(), "none");
  EXPECT_EQ(r.to_value(), v);
  EXPECT_THROW(Document().root(), UsageError);
}

TEST(Document, DuplicateKeysLaterValueWinsFirstPositionKept) {
  // {"a": 1, "b": 2, "a": [3]}
  const Bytes small = doc_bytes({0x08, 0x03, 1, 'a', 0x03, 0x02, 1, 'b', 0x03, 0x04, 1, 'a', 0x07, 0x01, 0x03, 0x06});
  expect_same(small);
  const Value owned = decode_flux(small);
  ASSERT_EQ(owned.size(), 2u);
  EXPECT_EQ(owned.as_dict().entries()[0].first, "a");
  EXPECT_EQ(owned["a"], Value(List{3}));
  EXPECT_EQ(owned["b"], Value(2));
  const Document doc = Document::parse(small);
  ASSERT_EQ(doc.root().size(), 2u);
  EXPECT_EQ(doc.root().key_at(0), "a");
  EXPECT_EQ(doc.root()["a"][0].as_int(), 3);

  // A dict big enough for the hashed duplicate check, with repeats.
  Bytes big = {'F', 'L', 'U', 'X', 1, 0, 0x08, 0xC8, 0x01};  // 200 entries
  for (int i = 0; i < 200; ++i) {
    std::string key(1, 'k');
    key += std::to_string(i % 150);
    big.push_back(static_cast<std::uint8_t>(key.size()));
    big.insert(big.end(), key.begin(), key.end());
    big.push_back(0x03);
    big.push_back(static_cast<std::uint8_t>(i));  // zigzag: small positive values only
    if (i >= 64) big.back() = static_cast<std::uint8_t>(i & 0x3F);
  }
  expect_same(big);
  const Document d2 = Document::parse(big);
  EXPECT_EQ(d2.root().size(), 150u);
}

}  // namespace
}  // namespace crous
