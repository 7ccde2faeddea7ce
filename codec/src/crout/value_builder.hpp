#pragma once
// Events -> a Value tree (the tree path of parse_crout).
//
// Text does not say how many items a container holds, so items wait on one
// shared stack until their container closes; the container is then built
// with exactly the room it needs (one allocation, not one per growth step).
// Keys are kept as views: both readers hand out keys that point into their
// input (or its token table), which outlives the document's parse.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crous/value.hpp"
#include "crout/events.hpp"

namespace crous::detail {

class ValueBuilder {
 public:
  void null_value() { add(Value()); }
  void boolean(bool b) { add(Value(b)); }
  void integer(std::int64_t n) { add(Value(n)); }
  void floating(double d) { add(Value(d)); }
  void string(std::string_view s) { add(Value(s)); }
  void bytes(std::span<const std::uint8_t> b) { add(Value(Bytes(b.begin(), b.end()))); }
  void begin_list() { open(Kind::list, 0); }
  void begin_tuple() { open(Kind::tuple, 0); }
  void begin_dict() { open(Kind::dict, 0); }
  void begin_tagged(std::uint32_t tag) { open(Kind::tagged, tag); }
  void key(std::string_view k) { keys_.push_back(k); }
  void end();

  Value take() { return std::move(root_); }

 private:
  struct Open {
    Kind kind;
    std::uint32_t tag;
    std::size_t first_item;  // in items_
    std::size_t first_key;   // in keys_
  };
  void open(Kind kind, std::uint32_t tag) { stack_.push_back({kind, tag, items_.size(), keys_.size()}); }
  void add(Value v) {
    if (stack_.empty()) {
      root_ = std::move(v);
    } else {
      items_.push_back(std::move(v));
    }
  }
  template <class Sequence>
  Value take_sequence(const Open& open);
  Value take_dict(const Open& open);

  std::vector<Open> stack_;
  std::vector<Value> items_;       // items of every open container, innermost last
  std::vector<std::string_view> keys_;  // keys of every open dict, innermost last
  Value root_;
};
static_assert(EventSink<ValueBuilder>);

}  // namespace crous::detail
