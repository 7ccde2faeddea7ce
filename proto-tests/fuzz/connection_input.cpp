// connection_input: the server's per-connection input path without sockets.
// A session reads into its shard's shared buffer, frames the records there
// (RecordBuffer::borrow), may stop after any record (backpressure, offload
// cap), keeps what it did not consume (keep_rest), appends the next read when
// it holds bytes, releases its storage when empty, decodes each record and
// looks up its route. Driven that way with random reads and random pauses, the
// stream must give the same records and the same error (code and stream
// offset) as one RecordBuffer given the whole stream at once, and the
// session's buffer must stay within the record limit plus two reads.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crous/flux.hpp"
#include "crous/record_buffer.hpp"
#include "support/fuzz_check.hpp"
#include "support/read_plan.hpp"
#include "support/stream_fuzz_input.hpp"

using namespace crous;

namespace {

struct Outcome {
  std::vector<std::uint64_t> record_offsets;
  std::vector<Bytes> records;
  std::optional<DecodeError> error;
};

// What the session does with a framed record: decode it, find its route.
void handle(std::span<const std::uint8_t> record, const Limits& limits) {
  try {
    const Value request = decode_flux(record, limits);
    if (const Value* op = request.is_dict() ? request.find("op") : nullptr) (void)op->is_string();
  } catch (const DecodeError&) {
    // The server answers decode_error; framing agreement is what is checked here.
  }
}

Outcome whole_stream(ByteView stream, const Limits& limits) {
  Outcome out;
  RecordBuffer buffer(limits);
  buffer.append(stream);
  try {
    while (auto record = buffer.next()) {
      out.record_offsets.push_back(buffer.record_offset());
      out.records.emplace_back(record->begin(), record->end());
    }
  } catch (const DecodeError& e) {
    out.error = e;
  }
  return out;
}

Outcome like_a_session(ByteView stream, const fuzz::StreamFuzzInput& knobs) {
  Outcome out;
  RecordBuffer buffer(knobs.limits);
  fuzz::ReadPlan reads(knobs.seed, knobs.max_read);
  fuzz::ReadPlan pauses(knobs.seed + 1, 4);
  std::vector<std::uint8_t> shared_read;  // the shard's buffer, overwritten by every read
  std::size_t pos = 0;
  bool paused = false;
  while (!out.error) {
    if (!paused) {
      if (pos == stream.size()) break;
      const std::size_t n = std::min(reads.next(), stream.size() - pos);
      shared_read.assign(stream.begin() + static_cast<std::ptrdiff_t>(pos),
                         stream.begin() + static_cast<std::ptrdiff_t>(pos + n));
      pos += n;
      if (buffer.empty()) buffer.borrow(shared_read);
      else buffer.append(shared_read);
    }
    // Process up to a random number of records, as if the output queue or
    // the offload cap stopped the batch.
    const std::size_t budget = pauses.next();
    std::size_t handled = 0;
    try {
      while (handled < budget) {
        auto record = buffer.next();
        if (!record) break;
        out.record_offsets.push_back(buffer.record_offset());
        out.records.emplace_back(record->begin(), record->end());
        handle(*record, knobs.limits);
        ++handled;
      }
    } catch (const DecodeError& e) {
      out.error = e;
    }
    paused = handled == budget;  // maybe more complete records are waiting
    buffer.keep_rest();
    std::fill(shared_read.begin(), shared_read.end(), 0xEE);  // the next read reuses it
    if (buffer.empty()) buffer.release();
    FUZZ_CHECK(buffer.capacity() <= knobs.limits.max_record_bytes + 2 * RecordBuffer::read_chunk,
               "session buffer of " + std::to_string(buffer.capacity()) + " bytes");
    if (paused && !out.error && pos == stream.size() && buffer.empty()) break;
  }
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::StreamFuzzInput knobs(data, size);
  const Outcome whole = whole_stream(knobs.stream, knobs.limits);
  const Outcome session = like_a_session(knobs.stream, knobs);
  FUZZ_CHECK(session.record_offsets == whole.record_offsets, "different record boundaries");
  FUZZ_CHECK(session.records == whole.records, "different record bytes");
  FUZZ_CHECK(session.error.has_value() == whole.error.has_value(), "one fails, the other does not");
  if (whole.error) {
    FUZZ_CHECK(session.error->code() == whole.error->code(), std::string("different codes: ") + session.error->what() +
                                                                  " / " + whole.error->what());
    FUZZ_CHECK(session.error->offset() == whole.error->offset(), std::string("different offsets: ") +
                                                                      session.error->what() + " / " +
                                                                      whole.error->what());
  }
  return 0;
}
