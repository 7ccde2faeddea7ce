// lazy_reader: LazyReader, fed in reads of random sizes (knobs:
// support/stream_fuzz_input.hpp), gives exactly the items of a FLUX v1
// record that decode_flux accepts, then the end (next_record() says there is
// no other record); on any input, read on record after record, it fails only
// with a DecodeError. (LazyReader reads FLUX v1 only: a legacy CROU record,
// which decode_flux accepts, is refused with bad_header, as documented.) Memory stays bounded by the largest item: CI runs this with
// -malloc_limit_mb, so an allocation sized by a declaration fails the run.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "crous/flux.hpp"
#include "crous/lazy_reader.hpp"
#include "support/fuzz_check.hpp"
#include "support/planned_input_stream.hpp"
#include "support/stream_fuzz_input.hpp"

using namespace crous;

namespace {

// Every item (dict entries merged like Dict does) into one value.
Value read_lazily(LazyReader& reader) {
  switch (reader.kind()) {
    case Kind::dict: {
      Dict dict;
      while (auto entry = reader.next_entry()) dict.insert_or_assign(std::move(entry->first), std::move(entry->second));
      return dict;
    }
    case Kind::tuple: {
      Tuple tuple;
      while (auto item = reader.next()) tuple.push_back(std::move(*item));
      return tuple;
    }
    default: {
      List list;
      while (auto item = reader.next()) list.push_back(std::move(*item));
      return list;
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const fuzz::StreamFuzzInput knobs(data, size);
  std::optional<Value> whole;
  try {
    whole = decode_flux(knobs.stream, knobs.limits);
  } catch (const DecodeError&) {
  }
  const bool flux_v1 = knobs.stream.size() >= 5 && knobs.stream[0] == 'F' && knobs.stream[1] == 'L' &&
                       knobs.stream[2] == 'U' && knobs.stream[3] == 'X' && knobs.stream[4] == 1;
  const bool container = flux_v1 && whole && (whole->is_list() || whole->is_tuple() || whole->is_dict());

  fuzz::PlannedInputStream in(knobs.stream, fuzz::ReadPlan(knobs.seed, knobs.max_read));
  try {
    LazyReader reader(in, knobs.limits);
    const Value items = read_lazily(reader);
    if (container) {
      FUZZ_CHECK(items == *whole, "LazyReader items differ from decode_flux: " + items.debug_string() + " vs " + whole->debug_string());
      FUZZ_CHECK(!reader.next_record(), "LazyReader found a second record after the only one");
    }
    while (reader.next_record()) read_lazily(reader);  // the bytes after the record, as records
  } catch (const DecodeError& e) {
    FUZZ_CHECK(!container, std::string("LazyReader refuses a record decode_flux accepts: ") + e.what());
  }
  return 0;
}
