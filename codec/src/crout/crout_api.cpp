// The public CROUT functions: each pairs one reader with one sink.
#include "crous/crout.hpp"

#include "crous/stream.hpp"
#include "crout/crout_parser.hpp"
#include "crout/crout_writer.hpp"
#include "crout/events.hpp"
#include "crout/flux_emitter.hpp"
#include "crout/flux_events.hpp"
#include "crout/token_table.hpp"
#include "crout/value_builder.hpp"
#include "crout/value_walker.hpp"

namespace crous {

namespace {

using namespace detail;

// Compact output needs the key counts of the whole value before the first
// byte is written (a first pass); pretty output has no token table. Either
// way the first pass checks the input, so a bad record writes nothing to a
// stream. `walk` drives any sink through the value: walk(sink).
template <class Walk>
void write_document(CroutStyle style, std::string& out, OutputStream* drain, Walk walk) {
  TokenTable tokens;
  if (style == CroutStyle::compact) {
    KeyCounter counter;
    walk(counter);
    tokens = TokenTable(counter.take());
  } else if (drain != nullptr) {
    IgnoreEvents check;
    walk(check);
  }
  CroutWriter writer(out, style, tokens, drain);
  writer.begin_document();
  walk(writer);
  writer.finish();
}

template <EventSink Sink>
void parse_single(std::string_view text, const Limits& limits, Sink& sink) {
  CroutParser<Sink> parser(text, 0, limits, sink);
  parser.parse_document();
  parser.expect_end();
}

template <EventSink Sink>
void walk_single(ByteView flux, const Limits& limits, Sink& sink) {
  const std::size_t size = walk_flux_record(flux, limits, sink);
  if (size != flux.size()) {
    throw DecodeError(ErrorCode::trailing_bytes, size, std::to_string(flux.size() - size) + " bytes after the record");
  }
}

}  // namespace

std::string to_crout(const Value& value, CroutStyle style) {
  std::string out;
  write_document(style, out, nullptr, [&](auto& sink) { walk_value(value, sink); });
  return out;
}

void write_crout(const Value& value, OutputStream& out, CroutStyle style) {
  std::string buffer;
  write_document(style, buffer, &out, [&](auto& sink) { walk_value(value, sink); });
}

Value parse_crout(std::string_view text, const Limits& limits) {
  ValueBuilder builder;
  parse_single(text, limits, builder);
  return builder.take();
}

void crout_to_flux(std::string_view text, Bytes& out, const Limits& limits) {
  const std::size_t start = out.size();
  try {
    FluxEmitter emitter(out, limits);
    parse_single(text, limits, emitter);
  } catch (...) {
    out.resize(start);  // never leave half a record behind
    throw;
  }
}

Bytes crout_to_flux(std::string_view text, const Limits& limits) {
  Bytes out;
  crout_to_flux(text, out, limits);
  return out;
}

void flux_to_crout(ByteView flux, OutputStream& out, CroutStyle style, const Limits& limits) {
  std::string buffer;
  write_document(style, buffer, &out, [&](auto& sink) { walk_single(flux, limits, sink); });
}

std::string flux_to_crout(ByteView flux, CroutStyle style, const Limits& limits) {
  std::string out;
  write_document(style, out, nullptr, [&](auto& sink) { walk_single(flux, limits, sink); });
  return out;
}

}  // namespace crous
