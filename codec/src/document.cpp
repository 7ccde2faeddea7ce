// crous::Document: the shared FLUX parser (flux_parser.hpp) with a builder
// that writes a flat array of 16-byte nodes instead of an owning tree.
// Strings and bytes are not copied: nodes point into the input.
#include "crous/document.hpp"

#include <algorithm>
#include <bit>
#include <cstring>
#include <functional>
#include <string>

#include "flux_parser.hpp"

namespace crous {

namespace detail {

struct DocumentBuilder {
  using Slot = std::size_t;
  // Above this many entries a dict's duplicate-key check hashes instead of scanning.
  static constexpr std::size_t linear_entries = 16;

  // storage.size() is the capacity; [0, used) holds this document. Growth is
  // geometric and a reused Document keeps its capacity, so allocating nodes
  // is a bump of `used` on the hot path. `nodes` caches storage.data().
  DocumentBuilder(std::vector<DocNode>& storage_, std::vector<std::size_t>& scratch_)
      : storage(storage_), scratch(scratch_), nodes(storage_.data()), capacity(storage_.size()) {}

  std::vector<DocNode>& storage;
  std::vector<std::size_t>& scratch;
  DocNode* nodes;
  std::size_t capacity;
  std::size_t used = 0;

  void put(Slot s, Kind kind, std::uint64_t size, std::uint64_t payload) noexcept {
    nodes[s] = DocNode{static_cast<std::uint64_t>(kind) | (size << 8), payload};
  }
  std::size_t alloc(std::size_t n) {
    const std::size_t first = used;
    if (n > capacity - first) [[unlikely]]
      grow(n);
    used = first + n;
    return first;
  }
  __attribute__((noinline)) void grow(std::size_t n) {
    storage.resize(std::max(storage.size() * 2, used + n));
    nodes = storage.data();
    capacity = storage.size();
  }
  static std::uint64_t address(const void* p) noexcept { return reinterpret_cast<std::uintptr_t>(p); }

  void set_null(Slot s) noexcept { put(s, Kind::null, 0, 0); }
  void set_bool(Slot s, bool v) noexcept { put(s, Kind::boolean, 0, v ? 1 : 0); }
  void set_int(Slot s, std::int64_t v) noexcept { put(s, Kind::integer, 0, static_cast<std::uint64_t>(v)); }
  void set_float(Slot s, double v) noexcept { put(s, Kind::floating, 0, std::bit_cast<std::uint64_t>(v)); }
  void set_string(Slot s, std::string_view v) noexcept { put(s, Kind::string, v.size(), address(v.data())); }
  void set_bytes(Slot s, const std::uint8_t* p, std::size_t n) noexcept { put(s, Kind::bytes, n, address(p)); }

  struct Seq {
    std::size_t next;
  };
  Seq begin_list(Slot s, std::size_t count) {
    const std::size_t first = alloc(count);
    put(s, Kind::list, count, first);
    return {first};
  }
  Seq begin_tuple(Slot s, std::size_t count) {
    const std::size_t first = alloc(count);
    put(s, Kind::tuple, count, first);
    return {first};
  }
  static Slot next_item(Seq& seq) noexcept { return seq.next++; }
  static void end_sequence(Seq&) noexcept {}

  struct Map {
    Slot node;
    std::size_t first;     // key node of entry 0
    std::size_t size = 0;  // distinct keys so far
    std::size_t table = 0; // start of this dict's hash slots in scratch
    std::size_t mask = 0;  // 0: linear duplicate check
    std::uint64_t filter = 0;  // key_filter_bit of every key so far (linear check only)
  };
  Map begin_dict(Slot s, std::size_t count) {
    Map map{s, alloc(2 * count)};
    put(s, Kind::dict, 0, map.first);
    if (count > linear_entries) {
      std::size_t slots = 64;
      while (slots < count * 2) slots *= 2;
      map.table = scratch.size();
      map.mask = slots - 1;
      scratch.resize(map.table + slots, 0);
    }
    return map;
  }
  std::string_view key_of(std::size_t key_node) const noexcept { return nodes[key_node].text(); }
  Slot dict_slot(Map& map, std::string_view key) {
    if (map.mask == 0) [[likely]] {
      const std::uint64_t bit = key_filter_bit(key);
      const bool seen = (map.filter & bit) != 0;
      map.filter |= bit;
      if (seen) return find_linear(map, key);
      return append_key(map, key);
    }
    return find_hashed(map, key);
  }
  __attribute__((noinline)) Slot find_hashed(Map& map, std::string_view key) {
    for (std::size_t slot = std::hash<std::string_view>{}(key) & map.mask;; slot = (slot + 1) & map.mask) {
      std::size_t& at = scratch[map.table + slot];
      if (at == 0) {
        const Slot value = append_key(map, key);
        at = value;  // the key node's index + 1
        return value;
      }
      if (key_of(at - 1) == key) return at;
    }
  }
  // A key whose filter bit was already set: search the entries so far.
  Slot find_linear(Map& map, std::string_view key) {
    const std::size_t n = key.size();
    for (std::size_t k = map.first, end = map.first + 2 * map.size; k != end; k += 2) {
      const std::string_view text = nodes[k].text();
      if (text.size() == n && (n == 0 || (text[0] == key[0] && std::memcmp(text.data(), key.data(), n) == 0)))
        return k + 1;  // later value wins, first position kept
    }
    return append_key(map, key);
  }
  // Appends a new key; returns its value's slot.
  Slot append_key(Map& map, std::string_view key) noexcept {
    const std::size_t k = map.first + 2 * map.size++;
    set_string(k, key);
    return k + 1;
  }

  void end_dict(Map& map) {
    put(map.node, Kind::dict, map.size, map.first);
    if (map.mask != 0) scratch.resize(map.table);
  }

  Slot begin_tagged(Slot s, std::uint32_t tag) {
    const std::size_t inner = alloc(1);
    put(s, Kind::tagged, tag, inner);
    return inner;
  }
};
static_assert(FluxBuilder<DocumentBuilder>);

}  // namespace detail

// ---- Document ----

void Document::throw_empty() { throw UsageError("crous::Document holds no decoded value"); }

template <class Run>
std::size_t Document::run(ByteView data, const Limits& limits, Run&& body) {
  valid_ = false;
  used_ = 0;
  scratch_.clear();
  detail::FluxParser<detail::DocumentBuilder> parser(data, limits, detail::DocumentBuilder(nodes_, scratch_));
  parser.builder().alloc(1);  // the root
  parser.header();
  parser.read_value(0, 0);
  body(parser);
  used_ = parser.builder().used;
  valid_ = true;
  return parser.consumed();
}

void Document::decode(ByteView data, const Limits& limits) {
  run(data, limits, [&](auto& parser) {
    if (!parser.at_end())
      throw DecodeError(ErrorCode::trailing_bytes, parser.consumed(),
                        std::to_string(data.size() - parser.consumed()) + " bytes after the end of the document");
  });
}

std::size_t Document::decode_prefix(ByteView data, const Limits& limits) {
  return run(data, limits, [](auto&) {});
}

// ---- ValueRef ----

void ValueRef::throw_kind(Kind expected) const {
  throw TypeError("expected " + std::string(to_string(expected)) + ", got " + std::string(to_string(kind())));
}

bool ValueRef::as_bool() const {
  if (kind() != Kind::boolean) throw_kind(Kind::boolean);
  return node_->payload != 0;
}
std::int64_t ValueRef::as_int() const {
  if (kind() != Kind::integer) throw_kind(Kind::integer);
  return static_cast<std::int64_t>(node_->payload);
}
double ValueRef::as_float() const {
  if (kind() != Kind::floating) throw_kind(Kind::floating);
  return std::bit_cast<double>(node_->payload);
}
std::string_view ValueRef::as_string() const {
  if (kind() != Kind::string) throw_kind(Kind::string);
  return node_->text();
}
ByteView ValueRef::as_bytes() const {
  if (kind() != Kind::bytes) throw_kind(Kind::bytes);
  const std::string_view octets = node_->text();
  return {reinterpret_cast<const std::uint8_t*>(octets.data()), octets.size()};
}
std::uint32_t ValueRef::tag() const {
  if (kind() != Kind::tagged) throw_kind(Kind::tagged);
  return static_cast<std::uint32_t>(count());
}
ValueRef ValueRef::tagged_value() const {
  if (kind() != Kind::tagged) throw_kind(Kind::tagged);
  return ValueRef(base_, child(0));
}

std::size_t ValueRef::size() const {
  switch (kind()) {
    case Kind::string:
    case Kind::bytes:
    case Kind::list:
    case Kind::tuple:
    case Kind::dict: return static_cast<std::size_t>(count());
    default: throw TypeError("size() of a " + std::string(to_string(kind())) + " value");
  }
}

std::optional<ValueRef> ValueRef::find(std::string_view key) const noexcept {
  if (kind() != Kind::dict) return std::nullopt;
  for (const EntryRef& e : dict_entries())
    if (e.key == key) return e.value;
  return std::nullopt;
}

ValueRef ValueRef::operator[](std::string_view key) const {
  if (kind() != Kind::dict) throw_kind(Kind::dict);
  if (auto v = find(key)) return *v;
  throw KeyError("key \"" + std::string(key) + "\" not in dict");
}

std::string_view ValueRef::key_at(std::size_t i) const {
  if (kind() != Kind::dict) throw_kind(Kind::dict);
  if (i >= count()) throw KeyError("entry " + std::to_string(i) + " out of range (size " + std::to_string(count()) + ")");
  return EntryRef::at(base_, child(2 * i)).key;
}

ValueRef ValueRef::value_at(std::size_t i) const {
  if (kind() != Kind::dict) throw_kind(Kind::dict);
  if (i >= count()) throw KeyError("entry " + std::to_string(i) + " out of range (size " + std::to_string(count()) + ")");
  return ValueRef(base_, child(2 * i + 1));
}

ValueRef ValueRef::item(std::size_t index) const {
  if (kind() != Kind::list && kind() != Kind::tuple) throw_kind(Kind::list);
  if (index >= count())
    throw KeyError("index " + std::to_string(index) + " out of range (size " + std::to_string(count()) + ")");
  return ValueRef(base_, child(index));
}

ValueRef::Range<ValueRef::ItemRef> ValueRef::items() const {
  if (kind() != Kind::list && kind() != Kind::tuple) throw_kind(Kind::list);
  return {{base_, child(0)}, {base_, child(count())}};
}

ValueRef::Range<EntryRef> ValueRef::entries() const {
  if (kind() != Kind::dict) throw_kind(Kind::dict);
  return dict_entries();
}

ValueRef::Range<EntryRef> ValueRef::dict_entries() const noexcept {
  return {{base_, child(0)}, {base_, child(2 * count())}};
}

Value ValueRef::to_value() const {
  switch (kind()) {
    case Kind::null: return Value();
    case Kind::boolean: return Value(node_->payload != 0);
    case Kind::integer: return Value(static_cast<std::int64_t>(node_->payload));
    case Kind::floating: return Value(std::bit_cast<double>(node_->payload));
    case Kind::string: return Value(as_string());
    case Kind::bytes: {
      const ByteView b = as_bytes();
      return Value(Bytes(b.begin(), b.end()));
    }
    case Kind::list:
    case Kind::tuple: {
      std::vector<Value> items;
      items.reserve(static_cast<std::size_t>(count()));
      for (const ValueRef item : this->items()) items.push_back(item.to_value());
      if (kind() == Kind::list) return Value(List(std::move(items)));
      return Value(Tuple(std::move(items)));
    }
    case Kind::dict: {
      Dict dict;
      dict.reserve(static_cast<std::size_t>(count()));
      for (const auto& [key, value] : entries()) dict.insert_or_assign(std::string(key), value.to_value());
      return Value(std::move(dict));
    }
    case Kind::tagged: return Value(Tagged(tag(), tagged_value().to_value()));
  }
  return Value();
}

bool operator==(const ValueRef& a, const Value& b) { return a.to_value() == b; }

}  // namespace crous
