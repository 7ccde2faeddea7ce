// scanner_vs_decoder: a stream of records, cut into reads of random sizes
// (knobs: support/stream_fuzz_input.hpp), framed by RecordScanner and read
// by RecordReader, gives the same record boundaries (and values) as decoding
// record after record with decode_flux_prefix, and fails on the same record
// with the same kind of error.
// Not promised (docs/fuzzing.md): the scanner may refuse an over-limit
// record (limit_exceeded) before the decoder sees what else is wrong with
// it; the decoder may report truncated (a declaration runs past the input)
// before the scanner, reading on, finds another error in the same record.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crous/flux.hpp"
#include "crous/record_scanner.hpp"
#include "crous/record_stream.hpp"
#include "support/fuzz_check.hpp"
#include "support/planned_input_stream.hpp"
#include "support/stream_fuzz_input.hpp"

using namespace crous;

namespace {

struct StreamOutcome {
  std::vector<std::size_t> record_starts;  // stream offset of each complete record
  std::vector<Value> values;             // decoder and RecordReader only
  bool clean_end = true;
  std::size_t failed_record_start = 0;  // decoder and scanner only
  ErrorCode code = ErrorCode::usage;
  std::string what;

  void failed(ErrorCode c, std::string message) {
    clean_end = false;
    code = c;
    what = std::move(message);
  }
};

StreamOutcome decode_records(ByteView stream, const Limits& limits) {
  StreamOutcome out;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    try {
      Value value;
      out.record_starts.push_back(pos);
      pos += decode_flux_prefix(stream.subspan(pos), value, limits);
      out.values.push_back(std::move(value));
    } catch (const DecodeError& e) {
      out.record_starts.pop_back();
      out.failed_record_start = pos;
      out.failed(e.code(), e.what());
      break;
    }
  }
  return out;
}

StreamOutcome scan_records(ByteView stream, const fuzz::StreamFuzzInput& knobs) {
  StreamOutcome out;
  RecordScanner scanner(knobs.limits);
  fuzz::ReadPlan plan(knobs.seed, knobs.max_read);
  std::size_t pos = 0;
  std::size_t record_start = 0;
  while (pos < stream.size()) {
    ByteView chunk = stream.subspan(pos, std::min(plan.next(), stream.size() - pos));
    pos += chunk.size();
    for (;;) {
      const RecordScanner::Result r = scanner.feed(chunk);
      if (r.status == RecordScanner::Status::error) {
        out.failed_record_start = record_start;
        out.failed(scanner.error_code(), scanner.error().what());
        return out;
      }
      if (r.status == RecordScanner::Status::need_more) break;
      out.record_starts.push_back(record_start);
      record_start += scanner.record_size();
      chunk = chunk.subspan(r.consumed);
      if (chunk.empty()) break;
    }
  }
  if (!scanner.at_boundary()) {
    out.failed_record_start = record_start;
    out.failed(ErrorCode::truncated, "stream ends inside a record");
  }
  return out;
}

StreamOutcome read_records(ByteView stream, const fuzz::StreamFuzzInput& knobs) {
  StreamOutcome out;
  fuzz::PlannedInputStream in(stream, fuzz::ReadPlan(knobs.seed, knobs.max_read));
  RecordReader reader(in, knobs.limits);
  try {
    while (std::optional<Value> value = reader.next()) {
      out.values.push_back(std::move(*value));
      out.record_starts.push_back(static_cast<std::size_t>(reader.record_offset()));
    }
  } catch (const DecodeError& e) {
    out.failed(e.code(), e.what());
  }
  return out;
}

void expect_agreement(const StreamOutcome& decoder, const StreamOutcome& other, const char* who) {
  const std::string context = std::string(who) + " vs decoder: " + (other.clean_end ? "clean end" : other.what) + " / " +
                              (decoder.clean_end ? "clean end" : decoder.what);
  FUZZ_CHECK(other.record_starts == decoder.record_starts, "different record boundaries, " + context);
  FUZZ_CHECK(other.clean_end == decoder.clean_end, "one ends cleanly, the other fails, " + context);
  if (!decoder.clean_end) {
    const bool same_kind = other.code == decoder.code;
    const bool scanner_refused_over_limit_record_early = other.code == ErrorCode::limit_exceeded;
    const bool decoder_saw_truncation_early = decoder.code == ErrorCode::truncated;
    FUZZ_CHECK(same_kind || scanner_refused_over_limit_record_early || decoder_saw_truncation_early, "different error kinds, " + context);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::StreamFuzzInput knobs(data, size);
  const StreamOutcome decoder = decode_records(knobs.stream, knobs.limits);

  const StreamOutcome scanner = scan_records(knobs.stream, knobs);
  expect_agreement(decoder, scanner, "RecordScanner");
  FUZZ_CHECK(scanner.failed_record_start == decoder.failed_record_start, "the failing record starts elsewhere");

  const StreamOutcome reader = read_records(knobs.stream, knobs);
  expect_agreement(decoder, reader, "RecordReader");
  for (std::size_t i = 0; i < reader.values.size(); ++i) {
    FUZZ_CHECK(reader.values[i] == decoder.values[i], "RecordReader record " + std::to_string(i) + " differs");
  }
  return 0;
}
