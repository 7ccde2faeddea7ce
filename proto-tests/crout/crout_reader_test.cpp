// The CROUT reader: what it accepts beyond the original's output, and how it
// reports what it refuses.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <utility>

#include "crous/crout.hpp"
#include "crous/stream.hpp"
#include "crout_helpers.hpp"

namespace crous {
namespace {

using namespace std::string_literals;

TEST(CroutReader, AcceptsWhitespaceCommentsBareWordsAndTokens) {
  const std::string text =
      "// leading comment\n"
      "CROUT1\n"
      "@ a=name\n"
      "// between the tokens and the value\n"
      "{ a : s5:Alice ,\t// the name\n"
      "  age:i30,\r\n"
      "  s3:x,y : [ i1 ,i-2 ] , ok : #90 : ( T , F , N ) }\n"
      "// trailing comment";
  const Value expected = Dict{{"name", "Alice"}, {"age", 30}, {"x,y", List{1, -2}}, {"ok", Tagged(90, Tuple{true, false, nullptr})}};
  EXPECT_EQ(parse_crout(text), expected);
}

TEST(CroutReader, StringsHoldSeparatorsNewlinesAndNul) {
  const std::string text = "CROUT1\n[s6:a,}\n\0] , s0: , s2:]]]"s;
  EXPECT_EQ(parse_crout(text), (Value(List{Value("a,}\n\0]"s), Value(""), Value("]]")})));
}

TEST(CroutReader, ReadsSeventeenDigitFloatsAndSpecials) {
  const Value v = parse_crout("CROUT1\n[f3.1400000000000001 , f0.33333333333333331 , finf , f-inf , fnan , f-0 , f1e+300 , f4.9406564584124654e-324]");
  const auto& l = v.as_list();
  EXPECT_EQ(l[0].as_float(), 3.14);
  EXPECT_EQ(l[1].as_float(), 1.0 / 3.0);
  EXPECT_EQ(l[2].as_float(), std::numeric_limits<double>::infinity());
  EXPECT_EQ(l[3].as_float(), -std::numeric_limits<double>::infinity());
  EXPECT_TRUE(std::isnan(l[4].as_float()));
  EXPECT_EQ(l[5], Value(-0.0));
  EXPECT_NE(l[5], Value(0.0));
  EXPECT_EQ(l[6].as_float(), 1e300);
  EXPECT_EQ(l[7].as_float(), 5e-324);
}

TEST(CroutReader, BytesAcceptEitherCase) {
  EXPECT_EQ(parse_crout("CROUT1\nb3:00fFaB"), Value(Bytes{0x00, 0xff, 0xab}));
}

TEST(CroutReader, BareWordNotInTokenTableIsLiteral) {
  EXPECT_EQ(parse_crout("CROUT1\n@ a=alpha\n{a:i1 , b:i2 , a_b:i3 , 9:i4}"), (Value(Dict{{"alpha", 1}, {"b", 2}, {"a_b", 3}, {"9", 4}})));
}

TEST(CroutReader, RepeatedKeyKeepsFirstPositionAndLastValue) {
  EXPECT_EQ(parse_crout("CROUT1\n{a:i1 , b:i2 , a:i3}"), (Value(Dict{{"a", 3}, {"b", 2}})));
}

TEST(CroutReader, TokenKeysKeepEveryByteUpToTheNewline) {
  EXPECT_EQ(parse_crout("CROUT1\n@ a=x = y \r\n{a:N}"), (Value(Dict{{"x = y \r", nullptr}})));
}

struct BadInput {
  std::string text;
  ErrorCode code;
  std::size_t offset;
  std::string message;  // a substring of DecodeError::message()
};

void expect_error(const BadInput& bad, const Limits& limits = {}) {
  SCOPED_TRACE(bad.text.substr(0, 60));
  try {
    parse_crout(bad.text, limits);
    ADD_FAILURE() << "accepted";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), bad.code) << e.what();
    EXPECT_EQ(e.offset(), bad.offset) << e.what();
    EXPECT_NE(e.message().find(bad.message), std::string::npos) << e.message();
  }
  // The direct path refuses the same input the same way.
  Bytes out{1, 2, 3};
  try {
    crout_to_flux(bad.text, out, limits);
    ADD_FAILURE() << "crout_to_flux accepted";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), bad.code) << e.what();
    EXPECT_EQ(out, (Bytes{1, 2, 3})) << "half a record was left behind";
  }
}

TEST(CroutReader, ErrorsNameLineColumnAndWhatWasExpected) {
  const BadInput cases[] = {
      {"CROUT1\n[i1 i2]", ErrorCode::syntax, 11, "line 2, column 5: expected ',' or ']' after a list item, found 'i'"},
      {"CROUT1\n{s1:a i1}", ErrorCode::syntax, 13, "line 2, column 7: expected ':' after a dict key, found 'i'"},
      {"CROUT1\n(i1 , }", ErrorCode::syntax, 13, "line 2, column 7: expected a value"},
      {"CROUT1\n\n  x", ErrorCode::syntax, 10, "line 3, column 3: expected a value"},
      {"CROUT2\nN", ErrorCode::syntax, 0, "line 1, column 1: expected 'CROUT1' document header"},
      {"CROUT1 N", ErrorCode::syntax, 6, "expected a newline after 'CROUT1'"},
      {"", ErrorCode::truncated, 0, "expected 'CROUT1' document header, found end of input"},
      {"CROUT1\n[i1 ,", ErrorCode::truncated, 12, "line 2, column 6: expected a value, found end of input"},
      {"CROUT1\ns10:abc", ErrorCode::truncated, 14, "string declares 10 bytes but only 3 remain"},
      {"CROUT1\nb2:0", ErrorCode::truncated, 11, "bytes value declares 2 bytes"},
      {"CROUT1\nb2:zz11", ErrorCode::syntax, 10, "expected a hex digit, found 'z'"},
      {"CROUT1\ns99999999999:", ErrorCode::limit_exceeded, 8, "exceeds the record limit"},
      {"CROUT1\ni99999999999999999999", ErrorCode::invalid_value, 8, "integer does not fit in 64 bits"},
      {"CROUT1\nf1.2.3", ErrorCode::syntax, 8, "expected a number, inf, -inf or nan after 'f'"},
      {"CROUT1\n#4294967296:N", ErrorCode::invalid_value, 8, "does not fit in 32 bits"},
      {"CROUT1\nN N", ErrorCode::trailing_bytes, 9, "line 2, column 3: expected end of input"},
      {"CROUT1\nN\nCROUT1\nN", ErrorCode::trailing_bytes, 9, "expected end of input"},
      {"CROUT1\n/x", ErrorCode::syntax, 7, "expected '//' comment"},
      {"CROUT1\n@ =k\nN", ErrorCode::syntax, 9, "expected a token name"},
      {"CROUT1\n@ a=k", ErrorCode::truncated, 12, "expected a newline ending the token line"},
      {"CROUT1\ns2:\xff\xfe", ErrorCode::invalid_utf8, 10, "line 2, column 4: invalid UTF-8 in a string"},
      {"CROUT1\n{s1:\x80:N}", ErrorCode::invalid_utf8, 11, "invalid UTF-8 in a string"},
      {"CROUT1\n{:N}", ErrorCode::syntax, 8, "expected a dict key"},
  };
  for (const auto& bad : cases) expect_error(bad);
}

TEST(CroutReader, DepthIsLimited) {
  const std::string deep = "CROUT1\n" + std::string(300, '[') + std::string(300, ']');
  expect_error({deep, ErrorCode::depth_exceeded, 7 + 256, "nesting deeper than the limit of 256"});
  Limits roomy;
  roomy.max_depth = 300;
  EXPECT_EQ(to_crout(parse_crout(deep, roomy)), deep);
  // Tagged values count as a level too.
  std::string tags = "CROUT1\n";
  for (int i = 0; i < 257; ++i) tags += "#1:";
  expect_error({tags + "N", ErrorCode::depth_exceeded, 7 + 256 * 3, "nesting deeper"});
}

TEST(CroutReader, TokensCannotExpandPastTheRecordLimit) {
  Limits small;
  small.max_record_bytes = 200;
  const std::string key(50, 'k');
  const std::string text = "CROUT1\n@ a=" + key + "\n[{a:N} , {a:N} , {a:N} , {a:N} , {a:N}]";
  ASSERT_LT(text.size(), 200u);
  expect_error({text, ErrorCode::limit_exceeded, 96, "keys expanded from tokens exceed the record limit"}, small);
}

TEST(CroutReader, DocumentsLongerThanTheLimitAreRefused) {
  Limits small;
  small.max_record_bytes = 64;
  expect_error({"CROUT1\n[" + std::string(100, ' ') + "N]", ErrorCode::limit_exceeded, 0, "exceeds the record limit of 64 bytes"}, small);
}

TEST(CroutReader, Utf8CheckCanBeTurnedOff) {
  Limits lax;
  lax.validate_utf8 = false;
  EXPECT_EQ(parse_crout("CROUT1\ns1:\xff", lax).as_string(), "\xff");
}

std::vector<Value> read_all(const std::string& text, std::size_t chunk = 1 << 20) {
  test::ChunkedInput in(text, chunk);
  CroutReader reader(in);
  std::vector<Value> out;
  while (auto v = reader.next()) out.push_back(std::move(*v));
  return out;
}

TEST(CroutStreamReader, EmptyAndBlankStreamsHaveNoDocuments) {
  EXPECT_TRUE(read_all("").empty());
  EXPECT_TRUE(read_all(" \n\t// just a comment").empty());
}

TEST(CroutStreamReader, NumbersSplitAcrossReadsAreNotCutShort) {
  const std::string text = "CROUT1\ni12345\nCROUT1\nf-1.25e3 CROUT1\nT";
  const std::vector<Value> expected{12345, -1250.0, true};
  for (std::size_t chunk : {1, 2, 3, 7, 64}) EXPECT_EQ(read_all(text, chunk), expected) << chunk;
}

TEST(CroutStreamReader, LongCommentsAcrossChunksAreSkipped) {
  const std::string comment = "// " + std::string(200000, 'x') + " CROUT1 N\n";
  const std::string text = "CROUT1\nN\n" + comment + "CROUT1\nT\n" + comment;
  EXPECT_EQ(read_all(text, 4096), (std::vector<Value>{nullptr, true}));
}

TEST(CroutStreamReader, GarbageBetweenDocumentsIsAnErrorWithStreamPosition) {
  const std::string text = "CROUT1\nN\nCROUT1\n[i1]\n\nCROUT1\nT\noops";
  try {
    read_all(text, 3);
    FAIL() << "accepted";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::syntax);
    EXPECT_EQ(e.offset(), text.find("oops"));
    EXPECT_NE(e.message().find("line 8, column 1: expected 'CROUT1' document header"), std::string::npos) << e.message();
  }
}

TEST(CroutStreamReader, CutOffDocumentIsTruncated) {
  try {
    read_all("CROUT1\nN\nCROUT1\n{s1:a:[i1 , i2", 5);
    FAIL() << "accepted";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::truncated) << e.what();
    EXPECT_NE(e.message().find("line 4, column 15"), std::string::npos) << e.message();
  }
}

// About 80 KB of CROUT: two documents with every kind of value, token keys,
// strings holding separators and newlines, comments, then a root number.
std::string large_stream() {
  List records;
  for (int i = 0; i < 700; ++i) {
    records.push_back(Dict{{"id", i},
                           {"name", "user " + std::to_string(i) + ", {x} [y] // not a comment\n"},
                           {"ratio", i / 7.0},
                           {"blob", Bytes{0xde, 0xad, static_cast<std::uint8_t>(i)}},
                           {"pair", Tuple{nullptr, i % 2 == 0}},
                           {"tagged", Tagged(90, List{i, -i})}});
  }
  const Value value(std::move(records));
  return to_crout(value) + "\n// between documents\n" + to_crout(value, CroutStyle::pretty) + "\nCROUT1\ni-1234567";
}

// Regression: the reader re-parsed the document from its start after every
// short read, so a document arriving one byte per read cost time quadratic
// in its size (21.7 s for 79 KB). It now parses a document only once it may
// be whole; bench/crout_bench.cpp measures the speed.
TEST(CroutStreamReader, OneBytePerReadParsesEachDocumentAboutOnce) {
  const std::string text = large_stream();
  ASSERT_GT(text.size(), 80'000u);
  const std::vector<Value> expected = read_all(text);
  ASSERT_EQ(expected.size(), 3u);
  EXPECT_EQ(expected[2], Value(-1234567));
  for (const std::size_t chunk : {1, 2, 16, 4096}) {
    test::ChunkedInput in(text, chunk);
    CroutReader reader(in);
    std::vector<Value> got;
    while (auto v = reader.next()) got.push_back(std::move(*v));
    EXPECT_EQ(got, expected) << chunk;
    // Each document is parsed once when whole; before the fix this was
    // thousands of times the stream's size.
    EXPECT_LE(reader.parsed_bytes(), text.size()) << chunk;
  }
}

TEST(CroutStreamReader, OneBytePerReadGivesTheSameFluxAndText) {
  const std::string text = large_stream();
  std::vector<Bytes> expected_flux;
  std::vector<std::string> expected_text;
  {
    test::ChunkedInput in(text, 1 << 20);
    CroutReader reader(in);
    Bytes flux;
    while (reader.next_flux(flux)) expected_flux.push_back(std::exchange(flux, {}));
  }
  {
    test::ChunkedInput in(text, 1 << 20);
    CroutReader reader(in);
    while (auto t = reader.next_text()) expected_text.emplace_back(*t);
  }
  ASSERT_EQ(expected_flux.size(), 3u);
  test::ChunkedInput flux_in(text, 1);
  CroutReader flux_reader(flux_in);
  for (const Bytes& want : expected_flux) {
    Bytes flux;
    ASSERT_TRUE(flux_reader.next_flux(flux));
    EXPECT_EQ(flux, want);
  }
  Bytes rest;
  EXPECT_FALSE(flux_reader.next_flux(rest));
  EXPECT_LE(flux_reader.parsed_bytes(), text.size());
  test::ChunkedInput text_in(text, 1);
  CroutReader text_reader(text_in);
  for (const std::string& want : expected_text) EXPECT_EQ(text_reader.next_text(), want);
  EXPECT_FALSE(text_reader.next_text().has_value());
}

// Hands out its text one byte per read; reading past the end counts as
// blocking, as a read on an idle interactive pipe would.
class StallingInput final : public InputStream {
 public:
  explicit StallingInput(std::string_view text) : text_(text) {}
  std::size_t read(std::uint8_t* dst, std::size_t) override {
    if (pos_ == text_.size()) {
      ++stalls_;
      return 0;
    }
    *dst = static_cast<std::uint8_t>(text_[pos_++]);
    return 1;
  }
  int stalls() const { return stalls_; }

 private:
  std::string_view text_;
  std::size_t pos_ = 0;
  int stalls_ = 0;
};

// Someone typing documents into `crous-echo` gets each answer as soon as the
// document is complete: the reader must not wait for input beyond it (a root
// number needs the one byte after it, which tells it the number has ended).
TEST(CroutStreamReader, ReturnsEachDocumentWithoutWaitingForMore) {
  const std::vector<std::pair<std::string, Value>> cases{
      {"CROUT1\nN", nullptr},
      {"CROUT1\n@ a=key\n{a:[i1 , (T , F)] , s2:bc:b2:00ff}", Dict{{"key", List{1, Tuple{true, false}}}, {"bc", Bytes{0x00, 0xff}}}},
      {"// comment\nCROUT1\n#90:[s3:x,] , s0:]", Tagged(90, List{"x,]", ""})},
      {"CROUT1\r\n{ k : s1:} }", Dict{{"k", "}"}}},
      {"CROUT1\ni42\n", 42},
      {"CROUT1\nf-2.5e3 ", -2500.0},
  };
  for (const auto& [text, expected] : cases) {
    StallingInput in(text);
    CroutReader reader(in);
    const std::optional<Value> value = reader.next();
    EXPECT_EQ(in.stalls(), 0) << text;
    ASSERT_TRUE(value.has_value()) << text;
    EXPECT_EQ(*value, expected) << text;
  }
}

// When the document really is cut off, the reader still says where.
TEST(CroutStreamReader, OneBytePerReadReportsTheSameErrors) {
  for (const std::string& text : {"CROUT1\n[i1 , s3:ab"s, "CROUT1\n{a:i1 , b}"s, "CROUT1\nN\nCROUT1\n/x"s, "CROUT1\n[s2:\xff\xff , i1]\n"s}) {
    std::string whole;
    std::string trickled;
    try {
      read_all(text);
    } catch (const DecodeError& e) {
      whole = e.what();
    }
    try {
      read_all(text, 1);
    } catch (const DecodeError& e) {
      trickled = e.what();
    }
    EXPECT_FALSE(whole.empty()) << text;
    EXPECT_EQ(trickled, whole) << text;
  }
}

// Regressions found by the crout_reader fuzz target: how the reads cut the
// stream must not change which error is reported. A document longer than
// the limit is refused as such before the parser reaches a later syntax
// error, and a length whose digits straddle two reads is judged on all of
// them (invalid_value past 64 bits, not limit_exceeded on the first few).
TEST(CroutStreamReader, ErrorsDoNotDependOnHowTheStreamIsCut) {
  struct Case {
    std::string text;
    std::size_t limit;
    ErrorCode code;
    std::size_t offset;
  };
  const std::vector<Case> cases{
      {"CROUT1\n// a comment\n@ a=name\n, fnan]", 8, ErrorCode::limit_exceeded, 0},
      {"CROUT1\n{s2:id:i1 , s4:name:s" + std::string(60, '7') + ":x}", 16u << 20, ErrorCode::invalid_value, 28},
      {"CROUT1\n[s" + std::string(9, '9') + ":x]", 16u << 20, ErrorCode::limit_exceeded, 9},
  };
  for (const Case& c : cases) {
    Limits limits;
    limits.max_record_bytes = c.limit;
    for (const std::size_t chunk : {1, 2, 3, 5, 1 << 20}) {
      test::ChunkedInput in(c.text, chunk);
      CroutReader reader(in, limits);
      try {
        while (reader.next()) {
        }
        ADD_FAILURE() << "accepted " << c.text;
      } catch (const DecodeError& e) {
        EXPECT_EQ(e.code(), c.code) << c.text << " / " << chunk << ": " << e.what();
        EXPECT_EQ(e.offset(), c.offset) << c.text << " / " << chunk << ": " << e.what();
      }
    }
  }
}

TEST(CroutStreamReader, NextTextReturnsEachDocument) {
  const std::string text = "CROUT1\nN\n  CROUT1\n@ a=k\n{a:i1}\n";
  MemoryInputStream in(as_bytes(text));
  CroutReader reader(in);
  EXPECT_EQ(reader.next_text(), "CROUT1\nN");
  EXPECT_EQ(reader.document_offset(), 0u);
  EXPECT_EQ(reader.next_text(), "CROUT1\n@ a=k\n{a:i1}");
  EXPECT_EQ(reader.document_offset(), 11u);
  EXPECT_FALSE(reader.next_text().has_value());
}

}  // namespace
}  // namespace crous
