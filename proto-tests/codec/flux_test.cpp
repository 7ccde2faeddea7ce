#include <gtest/gtest.h>

#include "crous/flux.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

Bytes doc(std::initializer_list<std::uint8_t> body) {
  Bytes out = {'F', 'L', 'U', 'X', 1, 0};
  out.insert(out.end(), body);
  return out;
}

ErrorCode decode_error(const Bytes& data, const Limits& limits = {}) {
  try {
    decode_flux(data, limits);
  } catch (const DecodeError& e) {
    return e.code();
  }
  ADD_FAILURE() << "decoded without error";
  return ErrorCode::usage;
}

TEST(Flux, DocumentedExampleIsByteExact) {
  const Value v = Dict{{"name", "Alice"}, {"scores", List{98, 95, 100}}};
  EXPECT_EQ(encode_flux(v), doc({0x08, 0x02, 0x04, 'n', 'a', 'm', 'e', 0x05, 0x05, 'A', 'l', 'i', 'c', 'e', 0x06, 's',
                                 'c', 'o', 'r', 'e', 's', 0x07, 0x03, 0x03, 0xC4, 0x01, 0x03, 0xBE, 0x01, 0x03, 0xC8,
                                 0x01}));
}

TEST(Flux, ZigzagVarintEdges) {
  EXPECT_EQ(encode_flux(Value(0)), doc({0x03, 0x00}));
  EXPECT_EQ(encode_flux(Value(-1)), doc({0x03, 0x01}));
  EXPECT_EQ(encode_flux(Value(63)), doc({0x03, 0x7E}));
  EXPECT_EQ(encode_flux(Value(-64)), doc({0x03, 0x7F}));
  EXPECT_EQ(encode_flux(Value(64)), doc({0x03, 0x80, 0x01}));
  EXPECT_EQ(decode_flux(encode_flux(Value(INT64_MAX))), Value(INT64_MAX));
  EXPECT_EQ(decode_flux(encode_flux(Value(INT64_MIN))), Value(INT64_MIN));
}

TEST(Flux, ReadsLegacySmallIntTags) {
  EXPECT_EQ(decode_flux(doc({0x10})), Value(0));
  EXPECT_EQ(decode_flux(doc({0x28})), Value(24));
  EXPECT_EQ(decode_flux(doc({0x29})), Value(-1));
  EXPECT_EQ(decode_flux(doc({0x48})), Value(-32));
  EXPECT_EQ(decode_flux(doc({0x07, 0x02, 0x11, 0x2A})), Value(List{1, -2}));
  EXPECT_EQ(decode_error(doc({0x49})), ErrorCode::unknown_tag);
}

TEST(Flux, RandomValuesRoundTrip) {
  test::RandomValueGenerator gen(20261122);
  for (int i = 0; i < 2000; ++i) {
    const Value v = gen.next();
    const Bytes bytes = encode_flux(v);
    const Value back = decode_flux(bytes);
    ASSERT_EQ(back, v) << v.debug_string();
    ASSERT_EQ(encode_flux(back), bytes);  // deterministic
  }
}

TEST(Flux, EveryTruncationPointIsATruncatedError) {
  test::RandomValueGenerator gen(7, {.max_depth = 4, .max_items = 5});
  for (int i = 0; i < 40; ++i) {
    const Bytes full = encode_flux(gen.next());
    for (std::size_t cut = 0; cut < full.size(); ++cut) {
      const Bytes part(full.begin(), full.begin() + static_cast<std::ptrdiff_t>(cut));
      try {
        decode_flux(part);
        FAIL() << "prefix of " << cut << " bytes decoded";
      } catch (const DecodeError& e) {
        ASSERT_EQ(e.code(), ErrorCode::truncated) << e.what() << " cutting " << full.size() << " bytes at " << cut;
        ASSERT_LE(e.offset(), cut);
      }
    }
  }
}

// Appending to a buffer that already holds records (the stream writers' and
// the client's path) must give exactly the concatenated documents, also for
// records that outgrow the encoder's first size guess.
TEST(Flux, AppendingManyRecordsToOneBufferConcatenatesThem) {
  test::RandomValueGenerator gen(31);
  Bytes appended;
  Bytes expected;
  for (int i = 0; i < 300; ++i) {
    const Value v = i % 50 == 0 ? Value(std::string(5000 + static_cast<std::size_t>(i), 'q')) : gen.next();
    encode_flux(v, appended);
    const Bytes one = encode_flux(v);
    expected.insert(expected.end(), one.begin(), one.end());
  }
  EXPECT_EQ(appended, expected);
}

TEST(Flux, TrailingBytesAfterASingleDocumentAreAnError) {
  Bytes two = encode_flux(Value(1));
  const Bytes second = encode_flux(Value(2));
  two.insert(two.end(), second.begin(), second.end());
  EXPECT_EQ(decode_error(two), ErrorCode::trailing_bytes);
  Value first;
  EXPECT_EQ(decode_flux_prefix(two, first), 8u);
  EXPECT_EQ(first, Value(1));
}

TEST(Flux, DepthLimitCountsContainers) {
  auto nested = [](unsigned depth) {
    Bytes b = {'F', 'L', 'U', 'X', 1, 0};
    for (unsigned i = 0; i < depth; ++i) b.insert(b.end(), {0x07, 0x01});
    b.push_back(0x00);
    return b;
  };
  EXPECT_NO_THROW(decode_flux(nested(256)));
  EXPECT_EQ(decode_error(nested(257)), ErrorCode::depth_exceeded);
  EXPECT_EQ(decode_error(nested(11), Limits{.max_depth = 10}), ErrorCode::depth_exceeded);
  // Tagged values nest too.
  EXPECT_EQ(decode_error(doc({0x09, 0x01, 0x09, 0x01, 0x00}), Limits{.max_depth = 1}), ErrorCode::depth_exceeded);
}

TEST(Flux, RecordLimitRefusesDeclaredSizesBeforeAllocating) {
  const Limits small{.max_record_bytes = 64};
  EXPECT_EQ(decode_error(doc({0x05, 0x80, 0x01}), small), ErrorCode::limit_exceeded);        // 128-byte string
  EXPECT_EQ(decode_error(doc({0x07, 0xC0, 0x00}), small), ErrorCode::limit_exceeded);        // 64 items
  EXPECT_EQ(decode_error(doc({0x08, 0x20}), small), ErrorCode::limit_exceeded);              // 32 entries >= 64 bytes
  EXPECT_EQ(decode_error(doc({0x07, 0x05, 0, 0, 0}), {}), ErrorCode::truncated);            // within limit: truncated
  Bytes big = encode_flux(Value(std::string(100, 'x')));
  EXPECT_EQ(decode_error(big, small), ErrorCode::limit_exceeded);
  EXPECT_NO_THROW(decode_flux(big, Limits{.max_record_bytes = big.size()}));
}

TEST(Flux, Utf8IsValidatedInStringsAndKeysUnlessDisabled) {
  EXPECT_EQ(decode_error(doc({0x05, 0x02, 0xC0, 0x80})), ErrorCode::invalid_utf8);        // overlong
  EXPECT_EQ(decode_error(doc({0x05, 0x03, 0xED, 0xA0, 0x80})), ErrorCode::invalid_utf8);  // surrogate
  EXPECT_EQ(decode_error(doc({0x08, 0x01, 0x01, 0xFF, 0x00})), ErrorCode::invalid_utf8);
  EXPECT_EQ(decode_flux(doc({0x05, 0x04, 0xF0, 0x9F, 0x98, 0x80})), Value("\U0001F600"));
  EXPECT_EQ(decode_flux(doc({0x05, 0x01, 0xFF}), Limits{.validate_utf8 = false}).as_string(), "\xFF");
  EXPECT_EQ(decode_flux(doc({0x06, 0x01, 0xFF})), Value(Bytes{0xFF}));  // bytes are never checked
}

TEST(Flux, ErrorsNameTheOffset) {
  try {
    decode_flux(doc({0x07, 0x02, 0x00, 0x7F}));
    FAIL();
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::unknown_tag);
    EXPECT_EQ(e.offset(), 9u);
    EXPECT_STREQ(e.what(), "unknown_tag at byte 9: unknown value tag 0x7f");
  }
}

TEST(Flux, TagNumbersAbove32BitsAreRejected) {
  EXPECT_EQ(decode_error(doc({0x09, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00})), ErrorCode::invalid_value);
  EXPECT_EQ(decode_flux(doc({0x09, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x00})), Value(Tagged(UINT32_MAX, nullptr)));
}

}  // namespace
}  // namespace crous
