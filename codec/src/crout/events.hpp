#pragma once
// The event vocabulary shared by every CROUT/FLUX reader and writer here.
// A reader (CroutParser, FluxWalker, walk_value) calls a sink's methods in
// document order; a writer (CroutWriter, FluxEmitter, ValueBuilder) is a
// sink. Any reader can drive any sink, which is how direct conversion avoids
// building a value tree. Sinks are template parameters, not virtual classes:
// these calls sit on the hot path of every parse. EventSink names what a
// sink must have, so a wrong one fails where it is used, saying which.
//
//   null_value() boolean(b) integer(n) floating(d) string(s) bytes(b)
//   begin_list() begin_tuple() begin_dict() begin_tagged(tag)
//   key(k)      before each dict value
//   end()       closes the innermost list/tuple/dict/tagged
#include <cstdint>
#include <span>
#include <string_view>

namespace crous::detail {

template <class S>
concept EventSink = requires(S& sink, bool b, std::int64_t i, double d, std::string_view text,
                             std::span<const std::uint8_t> octets, std::uint32_t tag) {
  sink.null_value();
  sink.boolean(b);
  sink.integer(i);
  sink.floating(d);
  sink.string(text);
  sink.bytes(octets);
  sink.begin_list();
  sink.begin_tuple();
  sink.begin_dict();
  sink.begin_tagged(tag);
  sink.key(text);
  sink.end();
};

// A sink that ignores everything: used to check a document's syntax and find
// its end, and as a base for sinks that care about a few events only.
struct IgnoreEvents {
  void null_value() {}
  void boolean(bool) {}
  void integer(std::int64_t) {}
  void floating(double) {}
  void string(std::string_view) {}
  void bytes(std::span<const std::uint8_t>) {}
  void begin_list() {}
  void begin_tuple() {}
  void begin_dict() {}
  void begin_tagged(std::uint32_t) {}
  void key(std::string_view) {}
  void end() {}
};
static_assert(EventSink<IgnoreEvents>);

}  // namespace crous::detail
