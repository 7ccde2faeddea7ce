// crout_reader: CroutReader over a stream of documents cut into reads of
// random sizes (knobs: support/stream_fuzz_input.hpp; mode picks next(),
// next_flux() or next_text()) returns the same documents and the same error
// (code, offset, line and column) as over the whole text in one read, and
// parses each document about once: the bytes it parses never exceed the
// bytes of the stream, however small the reads.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "crous/crout.hpp"
#include "crous/stream.hpp"
#include "support/fuzz_check.hpp"
#include "support/planned_input_stream.hpp"
#include "support/stream_fuzz_input.hpp"

using namespace crous;

namespace {

struct Documents {
  std::vector<Value> values;
  std::vector<Bytes> records;
  std::vector<std::string> texts;
  std::vector<std::uint64_t> offsets;
  std::string error;  // code and offset of the DecodeError that ended the stream, if any
  std::uint64_t parsed_bytes = 0;
};

Documents read_documents(InputStream& in, const Limits& limits, unsigned mode) {
  Documents out;
  CroutReader reader(in, limits);
  try {
    for (;;) {
      if (mode == 0) {
        auto value = reader.next();
        if (!value) break;
        out.values.push_back(std::move(*value));
      } else if (mode == 1) {
        Bytes record;
        if (!reader.next_flux(record)) break;
        out.records.push_back(std::move(record));
      } else {
        auto text = reader.next_text();
        if (!text) break;
        out.texts.emplace_back(*text);
      }
      out.offsets.push_back(reader.document_offset());
    }
  } catch (const DecodeError& e) {
    out.error = std::string(to_string(e.code())) + " at " + std::to_string(e.offset());
  }
  out.parsed_bytes = reader.parsed_bytes();
  return out;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::StreamFuzzInput knobs(data, size);
  const unsigned mode = knobs.mode % 3;
  MemoryInputStream whole_in(knobs.stream);
  const Documents whole = read_documents(whole_in, knobs.limits, mode);
  fuzz::PlannedInputStream trickle_in(knobs.stream, fuzz::ReadPlan(knobs.seed, knobs.max_read));
  const Documents trickled = read_documents(trickle_in, knobs.limits, mode);

  FUZZ_CHECK(trickled.error == whole.error, "errors differ: '" + trickled.error + "' vs '" + whole.error + "'");
  FUZZ_CHECK(trickled.offsets == whole.offsets, "documents start at different offsets");
  FUZZ_CHECK(trickled.values == whole.values, "values differ");
  FUZZ_CHECK(trickled.records == whole.records, "FLUX records differ");
  FUZZ_CHECK(trickled.texts == whole.texts, "document texts differ");
  FUZZ_CHECK(trickled.parsed_bytes <= knobs.stream.size(),
             "parsed " + std::to_string(trickled.parsed_bytes) + " bytes of a " + std::to_string(knobs.stream.size()) + "-byte stream");
  return 0;
}
