#pragma once
// FLUX v1 / legacy CROU v2 record -> events, without building values.
//
// The parsing itself is the codec's one FluxParser (flux_parser.hpp), so
// every check, error code and offset is the decoder's. FluxEvents is the
// Builder that turns its callbacks into the sink events of events.hpp.
// FluxParser has no callback for the end of a tagged value, so a Slot
// carries how many tagged wrappers close once the value written to it is
// complete.
// FluxEvents is cheap to copy (the parser holds a copy): it only refers to
// the sink.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crous/flux.hpp"
#include "crous/limits.hpp"
#include "crout/events.hpp"
#include "flux_parser.hpp"

namespace crous::detail {

template <EventSink Sink>
class FluxEvents {
 public:
  using Slot = unsigned;  // tagged wrappers to close after this value
  using Seq = unsigned;   // the same, carried to the container's end
  using Map = unsigned;

  explicit FluxEvents(Sink& sink) noexcept : sink_(sink) {}

  void set_null(Slot s) { scalar(s, [&] { sink_.null_value(); }); }
  void set_bool(Slot s, bool v) { scalar(s, [&] { sink_.boolean(v); }); }
  void set_int(Slot s, std::int64_t v) { scalar(s, [&] { sink_.integer(v); }); }
  void set_float(Slot s, double v) { scalar(s, [&] { sink_.floating(v); }); }
  void set_string(Slot s, std::string_view v) { scalar(s, [&] { sink_.string(v); }); }
  void set_bytes(Slot s, const std::uint8_t* p, std::size_t n) { scalar(s, [&] { sink_.bytes({p, n}); }); }

  Seq begin_list(Slot s, std::size_t) { return opened(s, [&] { sink_.begin_list(); }); }
  Seq begin_tuple(Slot s, std::size_t) { return opened(s, [&] { sink_.begin_tuple(); }); }
  Slot next_item(Seq) const noexcept { return 0; }
  void end_sequence(Seq s) { closed(s); }

  Map begin_dict(Slot s, std::size_t) { return opened(s, [&] { sink_.begin_dict(); }); }
  Slot dict_slot(Map, std::string_view key) {
    sink_.key(key);
    return 0;
  }
  void end_dict(Map s) { closed(s); }

  Slot begin_tagged(Slot s, std::uint32_t tag) {
    sink_.begin_tagged(tag);
    return s + 1;
  }

 private:
  template <class Emit>
  void scalar(Slot s, Emit emit) {
    emit();
    close_tagged(s);
  }
  template <class Emit>
  Seq opened(Slot s, Emit emit) {
    emit();
    return s;
  }
  void closed(Seq s) {
    sink_.end();
    close_tagged(s);
  }
  void close_tagged(unsigned levels) {
    for (; levels > 0; --levels) sink_.end();
  }
  Sink& sink_;
};
static_assert(FluxBuilder<FluxEvents<IgnoreEvents>>);

// Walks the header and one value of `data`; returns the record's size.
template <EventSink Sink>
std::size_t walk_flux_record(ByteView data, const Limits& limits, Sink& sink) {
  FluxParser<FluxEvents<Sink>> parser(data, limits, FluxEvents<Sink>(sink));
  parser.header();
  parser.read_value(0, 0);
  return parser.consumed();
}

}  // namespace crous::detail
