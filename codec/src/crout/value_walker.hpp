#pragma once
// A Value tree -> events (the tree path of to_crout, and key counting).
#include "crous/value.hpp"
#include "crout/events.hpp"

namespace crous::detail {

template <EventSink Sink>
void walk_value(const Value& value, Sink& sink) {
  switch (value.kind()) {
    case Kind::null: sink.null_value(); return;
    case Kind::boolean: sink.boolean(value.as_bool()); return;
    case Kind::integer: sink.integer(value.as_int()); return;
    case Kind::floating: sink.floating(value.as_float()); return;
    case Kind::string: sink.string(value.as_string()); return;
    case Kind::bytes: sink.bytes(value.as_bytes()); return;
    case Kind::list:
      sink.begin_list();
      for (const Value& item : value.as_list()) walk_value(item, sink);
      break;
    case Kind::tuple:
      sink.begin_tuple();
      for (const Value& item : value.as_tuple()) walk_value(item, sink);
      break;
    case Kind::dict:
      sink.begin_dict();
      for (const auto& [key, item] : value.as_dict()) {
        sink.key(key);
        walk_value(item, sink);
      }
      break;
    case Kind::tagged:
      sink.begin_tagged(value.as_tagged().tag());
      walk_value(value.as_tagged().value(), sink);
      break;
  }
  sink.end();
}

}  // namespace crous::detail
