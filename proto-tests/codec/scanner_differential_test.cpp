// The record scanner frames records (for the server, RecordReader and
// LazyReader) before decode_flux sees them, so the two must agree: a record
// the decoder accepts is exactly the record the scanner frames, and a record
// it rejects the scanner rejects too, with the same ErrorCode at the same
// offset. The only differences allowed are the scanner's documented
// non-promises (record_scanner.hpp):
//   - it may refuse an over-limit record (limit_exceeded) earlier, as soon as
//     what was declared cannot fit, where the decoder reports something else;
//   - it says need_more where the decoder, which knows its input has ended,
//     says truncated. When a declared size runs past the input, the decoder
//     stops there, while the scanner keeps walking the bytes that are
//     present and may find an error in them: any scanner error at or after
//     the decoder's truncation offset is consistent.
// And however the bytes are chunked, the scanner's verdict is the same.
//
// Inputs: every valid golden record, with each byte after the header replaced
// by each of the 256 byte values.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdlib>
#include <functional>
#include <iomanip>
#include <random>
#include <sstream>

#include "crous/flux.hpp"
#include "crous/record_scanner.hpp"
#include "crous/record_stream.hpp"
#include "crous/stream.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

using Status = RecordScanner::Status;

struct Verdict {
  Status status = Status::need_more;
  std::size_t size = 0;  // complete: the record size
  ErrorCode code = ErrorCode::truncated;
  std::size_t offset = 0;  // error: where
  bool operator==(const Verdict&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Verdict& v) {
  switch (v.status) {
    case Status::complete: return os << "complete, " << v.size << " bytes";
    case Status::need_more: return os << "need_more";
    case Status::error: return os << to_string(v.code) << " at byte " << v.offset;
  }
  return os;
}

std::string text(const Verdict& v) {
  std::ostringstream os;
  os << v;
  return os.str();
}

std::string hex(ByteView data) {
  std::ostringstream os;
  for (std::uint8_t b : data) os << std::hex << std::setw(2) << std::setfill('0') << int(b);
  return os.str();
}

Verdict decoder_verdict(ByteView data, const Limits& limits) {
  try {
    Value out;
    return {Status::complete, decode_flux_prefix(data, out, limits)};
  } catch (const DecodeError& e) {
    return {Status::error, 0, e.code(), e.offset()};
  }
}

// Feeds data[from..] to `scanner` (which has seen data[..from]) in chunks of
// next_chunk() bytes. Also holds the scanner to its accounting: `consumed`
// covers the whole chunk on need_more, and ends exactly at the record's end
// on complete.
Verdict scan(RecordScanner scanner, ByteView data, std::size_t from, const std::function<std::size_t()>& next_chunk) {
  std::size_t pos = from;
  while (pos < data.size()) {
    const std::size_t n = std::min(next_chunk(), data.size() - pos);
    const auto r = scanner.feed(data.subspan(pos, n));
    switch (r.status) {
      case Status::complete:
        if (pos + r.consumed != scanner.record_size()) {
          ADD_FAILURE() << "complete after consuming " << pos + r.consumed << " bytes of a "
                        << scanner.record_size() << "-byte record: " << hex(data);
        }
        return {Status::complete, scanner.record_size()};
      case Status::error: return {Status::error, 0, scanner.error_code(), scanner.error_offset()};
      case Status::need_more:
        if (r.consumed != n) ADD_FAILURE() << "need_more without consuming the chunk: " << hex(data);
        break;
    }
    pos += n;
  }
  return {};
}

// Empty when the scanner's verdict is one the decoder's allows.
std::string disagreement(const Verdict& decoder, const Verdict& scanner) {
  const std::string why = "decoder: " + text(decoder) + ", scanner: " + text(scanner);
  if (decoder.status == Status::complete) return scanner == decoder ? "" : why;
  if (scanner.status == Status::error && scanner.code == ErrorCode::limit_exceeded) return "";  // refused early
  if (decoder.code == ErrorCode::truncated) {
    if (scanner.status == Status::need_more) return "";
    if (scanner.status == Status::error && scanner.offset >= decoder.offset) return "";
    return why;
  }
  return scanner == decoder ? "" : why;
}

// Which positions of a record are mutated: every one in records up to 2 KiB.
// The three larger golden records (a 20,000-byte string, 3,000 list items,
// 500 keys) are long runs of one structure, and a mutant costs a decode into
// a Value tree of the whole record: there the first 128 and last 64
// positions and every 401st between, unless CROUS_DIFFERENTIAL_FULL is set
// in the environment (then the sweep takes minutes).
constexpr std::size_t header_size = 6;
constexpr std::size_t full_sweep_max = 2048;
bool sweep_position(std::size_t pos, std::size_t size) {
  if (size <= full_sweep_max || std::getenv("CROUS_DIFFERENTIAL_FULL")) return true;
  return pos < header_size + 128 || pos + 64 >= size || pos % 401 == 0;
}

struct Sweep {
  Limits limits;
  bool chunkings = true;      // besides whole: one byte at a time, and random chunks
  bool big_records = true;    // records over full_sweep_max too
  bool every_byte_value = true;  // else a sample: every tag, and UTF-8 and varint edges
};

constexpr std::uint8_t sampled_values[] = {0x00, 0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08, 0x09, 0x0A,
                                           0x0B, 0x0F, 0x10, 0x28, 0x29, 0x48, 0x49, 0x7F, 0x80, 0x81, 0x8F,
                                           0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0, 0xED, 0xEF,
                                           0xF0, 0xF4, 0xF5, 0xFF};

void sweep_record(const std::string& name, const Bytes& original, const Sweep& sweep, std::mt19937_64& rng) {
  const bool big = original.size() > 512;
  std::size_t failures = 0;
  std::size_t mutants = 0;
  // One byte at a time: the scanner's state after the unchanged prefix is
  // the same for all 256 values, so it is built once per position. In a
  // record over 512 bytes, the suffix goes one byte at a time for 64 bytes
  // past the change (where the state machine is in new territory), then in
  // one piece.
  RecordScanner prefix(sweep.limits);
  ASSERT_EQ(prefix.feed(ByteView(original).first(header_size)).status, Status::need_more) << name;
  Bytes mutant = original;
  for (std::size_t pos = header_size; pos < original.size(); ++pos) {
    if (sweep_position(pos, original.size())) {
      for (unsigned value = 0; value < 256; ++value) {
        if (!sweep.every_byte_value && std::ranges::find(sampled_values, value) == std::end(sampled_values)) continue;
        mutant[pos] = static_cast<std::uint8_t>(value);
        ++mutants;
        const Verdict decoder = decoder_verdict(mutant, sweep.limits);
        const Verdict whole = scan(RecordScanner(sweep.limits), mutant, 0, [] { return SIZE_MAX; });
        std::string problem = disagreement(decoder, whole);
        if (problem.empty() && sweep.chunkings) {
          std::size_t fed = pos;
          const Verdict bytewise = scan(prefix, mutant, pos, [&] {
            ++fed;
            return big && fed > pos + 64 ? SIZE_MAX : 1;
          });
          if (bytewise != whole) problem = "fed whole: " + text(whole) +
                                           ", one byte at a time: " + text(bytewise);
          for (int round = 0; round < (big ? 1 : 2) && problem.empty(); ++round) {
            std::uniform_int_distribution<std::size_t> small(1, 4), medium(5, 40), large(41, 600);
            std::uniform_int_distribution<int> pick(0, 9);
            const Verdict chunked = scan(RecordScanner(sweep.limits), mutant, 0, [&] {
              const int which = pick(rng);
              return which < 5 ? small(rng) : which < 8 ? medium(rng) : large(rng);
            });
            if (chunked != whole) problem = "fed whole: " + text(whole) +
                                            ", in random chunks: " + text(chunked);
          }
        }
        if (!problem.empty() && ++failures <= 10) {
          ADD_FAILURE() << name << ": byte " << pos << " = 0x" << std::hex << value << std::dec << ": " << problem
                        << "\n  record: " << hex(mutant);
        }
      }
      mutant[pos] = original[pos];
    }
    if (sweep.chunkings) prefix.feed(ByteView(original).subspan(pos, 1));
  }
  EXPECT_EQ(failures, 0u) << name << ": disagreements among " << mutants << " mutants";
}

// Each golden record on its own: the valid and legacy files, and the records
// of the stream file (split where decode_flux_prefix says they end).
std::vector<std::pair<std::string, Bytes>> golden_records(const std::string& sub, const std::string& ext) {
  std::vector<std::pair<std::string, Bytes>> records;
  for (const auto& path : test::golden_files(sub, ext)) {
    const Bytes data = test::read_file(path);
    std::size_t pos = 0;
    for (int i = 0; pos < data.size(); ++i) {
      Value v;
      const std::size_t size = decode_flux_prefix(ByteView(data).subspan(pos), v);
      std::string name = path.filename().string();
      if (sub == "stream") name.append(1, '#').append(std::to_string(i));
      records.emplace_back(std::move(name), Bytes(data.begin() + pos, data.begin() + pos + size));
      pos += size;
    }
  }
  EXPECT_FALSE(records.empty()) << "no golden records in " << sub;
  return records;
}

void sweep_golden(const std::string& sub, const std::string& ext, const Sweep& sweep) {
  std::mt19937_64 rng(20240611);
  for (const auto& [name, record] : golden_records(sub, ext))
    if (sweep.big_records || record.size() <= full_sweep_max) sweep_record(name, record, sweep, rng);
}

TEST(ScannerDifferential, ValidGoldenRecordsWithEveryByteReplaced) { sweep_golden("valid", ".flux", {}); }
TEST(ScannerDifferential, LegacyGoldenRecordsWithEveryByteReplaced) { sweep_golden("legacy", ".crou", {}); }
TEST(ScannerDifferential, StreamGoldenRecordsWithEveryByteReplaced) { sweep_golden("stream", ".flux", {}); }

// The variants below feed whole records only, with a sample of byte values,
// and leave out the three big records, which the sweeps above cover.

// Without UTF-8 validation neither side looks at text bytes.
TEST(ScannerDifferential, WithoutUtf8Validation) {
  const Sweep sweep{.limits = {.validate_utf8 = false}, .chunkings = false, .big_records = false, .every_byte_value = false};
  sweep_golden("valid", ".flux", sweep);
  sweep_golden("legacy", ".crou", sweep);
}

// Tight limits: depth errors and limit errors where the records are.
TEST(ScannerDifferential, UnderTightLimits) {
  const Sweep sweep{.limits = {.max_record_bytes = 300, .max_depth = 3}, .chunkings = false, .big_records = false, .every_byte_value = false};
  sweep_golden("valid", ".flux", sweep);
  sweep_golden("legacy", ".crou", sweep);
}


// ---- Targeted regressions ----

Verdict scan_whole(ByteView data, const Limits& limits = {}) {
  return scan(RecordScanner(limits), data, 0, [] { return SIZE_MAX; });
}
Verdict scan_bytewise(ByteView data, const Limits& limits = {}) {
  return scan(RecordScanner(limits), data, 0, [] { return std::size_t{1}; });
}

const Bytes flux_header = {'F', 'L', 'U', 'X', 1, 0};
const Bytes crou_header = {'C', 'R', 'O', 'U', 2, 0};

Bytes concat(std::initializer_list<ByteView> parts) {
  Bytes out;
  for (ByteView part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

// The bug this file was written for: the scanner used 0xF0 internally for
// the legacy 8-byte int and skipped 8 bytes after a real 0xF0 tag.
TEST(ScannerRegression, TagF0IsAnUnknownTagAtOnce) {
  const Bytes record = {0x46, 0x4c, 0x55, 0x58, 0x01, 0x47, 0xf0};  // 464c55580147f0
  const Verdict want{Status::error, 0, ErrorCode::unknown_tag, 6};
  EXPECT_EQ(decoder_verdict(record, {}), want);
  EXPECT_EQ(scan_whole(record), want);
  EXPECT_EQ(scan_bytewise(record), want);
  EXPECT_EQ(scan_whole(concat({crou_header, Bytes{0xf0}})), want);
  // Inside a list, and as a dict's value.
  EXPECT_EQ(scan_whole(concat({flux_header, Bytes{0x07, 0x02, 0x00, 0xf0}})),
            (Verdict{Status::error, 0, ErrorCode::unknown_tag, 9}));
  EXPECT_EQ(scan_whole(concat({flux_header, Bytes{0x08, 0x01, 0x01, 'k', 0xf0}})),
            (Verdict{Status::error, 0, ErrorCode::unknown_tag, 10}));

  // A reader must not hand out a wrong record, nor resume from a wrong boundary.
  const Bytes stream = concat({record, encode_flux(Value(List{1, 2, 3}))});
  MemoryInputStream in(stream);
  RecordReader reader(in);
  try {
    reader.next_raw();
    ADD_FAILURE() << "next_raw() framed a record";
  } catch (const DecodeError& e) {
    EXPECT_EQ(e.code(), ErrorCode::unknown_tag) << e.what();
    EXPECT_EQ(e.offset(), 6u) << e.what();
  }
}

// Every tag byte, in both tag sets, with plenty of bytes after it: where the
// decoder says unknown_tag the scanner says so from the tag byte alone.
TEST(ScannerRegression, EveryTagTheDecoderRefusesIsRefusedFromTheTagByteAlone) {
  for (const Bytes& header : {flux_header, crou_header}) {
    for (unsigned tag = 0; tag < 256; ++tag) {
      const Bytes record = concat({header, Bytes{static_cast<std::uint8_t>(tag)}, Bytes(16, 0)});
      const Verdict decoder = decoder_verdict(record, {});
      const Verdict from_tag_alone = scan_whole(ByteView(record).first(header.size() + 1));
      SCOPED_TRACE(hex(ByteView(record).first(header.size() + 1)));
      if (decoder.status == Status::error && decoder.code == ErrorCode::unknown_tag) {
        EXPECT_EQ(from_tag_alone, decoder);
      } else {
        EXPECT_NE(from_tag_alone.status, Status::error) << text(from_tag_alone) << " / decoder " << text(decoder);
      }
    }
  }
}

// A string value and a dict key holding `text`, in FLUX and legacy CROU.
std::vector<Bytes> records_holding_text(ByteView text) {
  const auto n = static_cast<std::uint8_t>(text.size());
  const Bytes bytes(text.begin(), text.end());
  return {
      concat({flux_header, Bytes{0x07, 0x02, 0x05, n}, bytes, Bytes{0x00}}),          // ["text", null]
      concat({flux_header, Bytes{0x08, 0x01, n}, bytes, Bytes{0x03, 0x02}}),          // {"text": 1}
      concat({crou_header, Bytes{0x07, 0x02, 0x05, n}, bytes, Bytes{0x00}}),          // legacy list
      concat({crou_header, Bytes{0x09, 0x01, 0x05, n}, bytes, Bytes{0x11}}),          // legacy dict
  };
}

// Valid and invalid sequences around every case of the UTF-8 rules.
const std::vector<Bytes> utf8_samples = {
    {'a', 0xC3, 0xA9, 'z'},              // U+00E9
    {0xE2, 0x82, 0xAC},                  // U+20AC
    {'x', 0xF0, 0x9F, 0x98, 0x80},       // U+1F600
    {0xEF, 0xBF, 0xBF, 0xF4, 0x8F, 0xBF, 0xBF},  // U+FFFF, U+10FFFF
    {'a', 0xC3, 'A'},                    // lead byte, no continuation
    {'a', 0xC3},                         // text ends inside a sequence
    {'a', 'b', 0xE2, 0x82},              // the same, three-byte sequence
    {0xC0, 0x80},                        // overlong NUL
    {0xE0, 0x80, 0x80},                  // overlong
    {0xED, 0xA0, 0x80},                  // surrogate
    {0xF4, 0x90, 0x80, 0x80},            // past U+10FFFF
    {0xF0, 0x90, 0x80, 'A'},             // bad fourth byte
    {'o', 'k', 0x80},                    // lone continuation byte
    {0xF5, 0x80, 0x80, 0x80},            // never a lead byte
    {'1', '2', '3', '4', '5', '6', '7', '8', '9', 0xFF},  // after an ASCII word
};

// Every way to cut the record in two or three chunks gives the decoder's verdict.
TEST(ScannerRegression, Utf8SplitAcrossChunksGivesTheDecodersVerdict) {
  for (const Bytes& text : utf8_samples) {
    for (const Bytes& record : records_holding_text(text)) {
      SCOPED_TRACE(hex(record));
      const Verdict decoder = decoder_verdict(record, {});
      ASSERT_EQ(scan_whole(record), decoder);
      for (std::size_t i = 1; i < record.size(); ++i) {
        for (std::size_t j = i; j < record.size(); ++j) {
          const std::size_t cuts[] = {i, j - i, SIZE_MAX};
          std::size_t next = 0;
          ASSERT_EQ(scan(RecordScanner(), record, 0, [&] { return cuts[std::min<std::size_t>(next++, 2)]; }), decoder)
              << "chunks of " << i << ", " << j - i << ", rest";
        }
      }
    }
  }
}

// A bad string is refused as soon as the bytes that make it bad arrive, not
// when the string (or the record) is complete.
TEST(ScannerRegression, InvalidUtf8IsReportedBeforeTheRecordCompletes) {
  // [ "ab\xFFcdefgh", 7 ]: the record is 21 bytes; the bad byte is byte 12.
  const Bytes record = concat({flux_header, Bytes{0x07, 0x02, 0x05, 0x08, 'a', 'b', 0xFF, 'c', 'd', 'e', 'f', 'g',
                                                  0x03, 0x0E}});
  const Verdict want{Status::error, 0, ErrorCode::invalid_utf8, 12};
  EXPECT_EQ(decoder_verdict(record, {}), want);
  for (std::size_t fed = 13; fed < record.size(); ++fed) {
    EXPECT_EQ(scan_whole(ByteView(record).first(fed)), want) << fed << " bytes fed";
    EXPECT_EQ(scan_bytewise(ByteView(record).first(fed)), want) << fed << " bytes fed";
  }
  // A sequence already impossible from its first two bytes (E0 80: overlong),
  // in a string with most of its bytes still to come.
  const Bytes head = concat({flux_header, Bytes{0x05, 0x40, 'x', 0xE0, 0x80}});
  EXPECT_EQ(scan_whole(head), (Verdict{Status::error, 0, ErrorCode::invalid_utf8, 9}));
  EXPECT_EQ(scan_bytewise(head), (Verdict{Status::error, 0, ErrorCode::invalid_utf8, 9}));
  // A lead byte alone at the end of what has arrived is not (yet) an error.
  EXPECT_EQ(scan_whole(concat({flux_header, Bytes{0x05, 0x40, 'x', 0xE0}})), Verdict{});
}

TEST(ScannerRegression, Utf8ValidationOffAndBytesValuesAreNotChecked) {
  const Bytes bad_string = concat({flux_header, Bytes{0x05, 0x02, 0xFF, 0xFE}});
  const Bytes bad_key = concat({flux_header, Bytes{0x08, 0x01, 0x01, 0xFF, 0x00}});
  const Limits unchecked{.validate_utf8 = false};
  for (const Bytes& record : {bad_string, bad_key}) {
    EXPECT_EQ(scan_whole(record).status, Status::error);
    EXPECT_EQ(scan_whole(record, unchecked), decoder_verdict(record, unchecked));
    EXPECT_EQ(scan_whole(record, unchecked), (Verdict{Status::complete, record.size()}));
    EXPECT_EQ(scan_bytewise(record, unchecked), (Verdict{Status::complete, record.size()}));
  }
  const Bytes bytes_value = concat({flux_header, Bytes{0x06, 0x02, 0xFF, 0xFE}});
  EXPECT_EQ(scan_whole(bytes_value), (Verdict{Status::complete, bytes_value.size()}));
  EXPECT_EQ(scan_bytewise(bytes_value), (Verdict{Status::complete, bytes_value.size()}));
}

// Every lead byte with continuations drawn from each rule's edges, as a
// string of its own: scanner (whole and byte by byte) against the decoder.
TEST(ScannerRegression, Utf8SequencesAgreeWithTheDecoder) {
  const std::uint8_t edges[] = {0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xFF};
  for (unsigned lead = 0x80; lead < 0x100; ++lead) {
    for (std::uint8_t b1 : edges) {
      for (std::uint8_t b2 : edges) {
        for (std::uint8_t b3 : edges) {
          const Bytes record = concat({flux_header, Bytes{0x05, 0x06, 'x', static_cast<std::uint8_t>(lead), b1, b2, b3, 'y'}});
          const Verdict decoder = decoder_verdict(record, {});
          ASSERT_EQ(scan_whole(record), decoder) << hex(record);
          ASSERT_EQ(scan_bytewise(record), decoder) << hex(record);
        }
      }
    }
  }
}

}  // namespace
}  // namespace crous
