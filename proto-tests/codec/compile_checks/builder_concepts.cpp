// Compiled, not run, by the ctest checks in proto-tests/CMakeLists.txt
// (codec.concepts.*): the FLUX parser's Builder and the CROUT/FLUX event
// Sink are concepts (FluxBuilder, EventSink), so the real ones are checked
// where they are defined and a wrong one is refused where it is used, by
// name, with the member that is missing.
//   (no macro)                 must compile: the static_asserts below hold
//   CROUS_USE_WRONG_BUILDER    must fail, naming FluxBuilder and set_bytes
//   CROUS_USE_WRONG_SINK       must fail, naming EventSink and bytes
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crout/crout_parser.hpp"
#include "crout/crout_writer.hpp"
#include "crout/events.hpp"
#include "crout/flux_emitter.hpp"
#include "crout/flux_events.hpp"
#include "crout/value_builder.hpp"
#include "flux_parser.hpp"

namespace {

using namespace crous::detail;

// A builder written against an older idea of the interface: bytes come as a span.
struct WrongBuilder {
  using Slot = int;
  using Seq = int;
  using Map = int;
  void set_null(Slot) {}
  void set_bool(Slot, bool) {}
  void set_int(Slot, std::int64_t) {}
  void set_float(Slot, double) {}
  void set_string(Slot, std::string_view) {}
  void set_bytes(Slot, std::span<const std::uint8_t>) {}
  Seq begin_list(Slot, std::size_t) { return 0; }
  Seq begin_tuple(Slot, std::size_t) { return 0; }
  Slot next_item(Seq&) { return 0; }
  void end_sequence(Seq&) {}
  Map begin_dict(Slot, std::size_t) { return 0; }
  Slot dict_slot(Map&, std::string_view) { return 0; }
  void end_dict(Map&) {}
  Slot begin_tagged(Slot, std::uint32_t) { return 0; }
};

// A sink that forgot bytes values.
struct WrongSink : IgnoreEvents {
  void bytes() {}
};

static_assert(FluxBuilder<FluxEvents<IgnoreEvents>>);
static_assert(FluxBuilder<FluxEvents<CroutWriter>>);
static_assert(!FluxBuilder<WrongBuilder>);
static_assert(!FluxBuilder<int>);
static_assert(EventSink<IgnoreEvents>);
static_assert(EventSink<CroutWriter>);
static_assert(EventSink<FluxEmitter>);
static_assert(EventSink<ValueBuilder>);
static_assert(!EventSink<WrongSink>);
static_assert(!EventSink<int>);

}  // namespace

#if defined(CROUS_USE_WRONG_BUILDER)
std::size_t use_wrong_builder(crous::ByteView data) {
  FluxParser<WrongBuilder> parser(data, crous::Limits{}, WrongBuilder{});
  parser.read_value(0, 0);
  return parser.consumed();
}
#endif

#if defined(CROUS_USE_WRONG_SINK)
std::size_t use_wrong_sink(crous::ByteView data) {
  WrongSink sink;
  return walk_flux_record(data, crous::Limits{}, sink);
}
#endif
