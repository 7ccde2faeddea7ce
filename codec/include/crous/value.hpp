#pragma once
// The Crous value model: ten kinds (FORMAT.md, "The value model").
//
//   crous::Value user = crous::Dict{{"name", "Alice"}, {"scores", crous::List{98, 95, 100}}};
//   user["name"].as_string();          // "Alice"
//   user["scores"][1].as_int();        // 95
//   user["age"].as_int();              // throws crous::KeyError (const access)
//
// User types plug in through ADL, like nlohmann::json's to_json/from_json:
//   void to_crous(crous::Value& out, const Point& p);     // enables Value(p)
//   void from_crous(const crous::Value& in, Point& p);    // enables v.get<Point>()
#include <compare>
#include <concepts>
#include <cstdint>
#include <initializer_list>
#include <iosfwd>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <variant>
#include <vector>

#include "crous/error.hpp"

namespace crous {

enum class Kind : std::uint8_t { null, boolean, integer, floating, string, bytes, list, tuple, dict, tagged };
std::string_view to_string(Kind kind) noexcept;

class Value;
namespace detail {
struct ValueAccess;  // codec-internal fast paths (decoder, encoder)
}

using Bytes = std::vector<std::uint8_t>;

// Ordered sequence. List and Tuple hold the same thing but are distinct kinds.
//
// Member functions that touch items_ are defined after Value, at the end of
// this header: clang 14 with libstdc++ 12 instantiates the (constexpr in
// C++20) std::vector<Value> members named in an in-class body right away,
// while Value is still incomplete, and fails.
template <class Tag>
class Sequence {
 public:
  using value_type = Value;
  using iterator = std::vector<Value>::iterator;
  using const_iterator = std::vector<Value>::const_iterator;

  Sequence() = default;
  Sequence(std::initializer_list<Value> items);
  explicit Sequence(std::vector<Value> items) noexcept;

  std::size_t size() const noexcept;
  bool empty() const noexcept;
  Value& operator[](std::size_t i);
  const Value& operator[](std::size_t i) const;
  const Value& at(std::size_t i) const;
  Value& at(std::size_t i);
  void push_back(Value v);
  void reserve(std::size_t n);
  iterator begin() noexcept { return items_.begin(); }
  iterator end() noexcept { return items_.end(); }
  const_iterator begin() const noexcept { return items_.begin(); }
  const_iterator end() const noexcept { return items_.end(); }
  std::vector<Value>& items() noexcept { return items_; }
  const std::vector<Value>& items() const noexcept { return items_; }

  friend bool operator==(const Sequence&, const Sequence&) = default;

 private:
  std::vector<Value> items_;
};

struct ListTag {};
struct TupleTag {};
using List = Sequence<ListTag>;
using Tuple = Sequence<TupleTag>;

// Ordered string-keyed mapping. Lookups are linear for small dicts and go
// through a hash index once the dict grows, so building or decoding a dict
// with n keys costs O(n). Re-inserting a key replaces the value in place:
// "later value wins, first position kept".
class Dict {
 public:
  using Entry = std::pair<std::string, Value>;
  using iterator = std::vector<Entry>::iterator;
  using const_iterator = std::vector<Entry>::const_iterator;

  Dict() = default;
  Dict(std::initializer_list<Entry> entries);
  Dict(const Dict&);
  Dict(Dict&&) noexcept = default;
  Dict& operator=(const Dict&);
  Dict& operator=(Dict&&) noexcept = default;
  ~Dict();

  // Defined after Value, like Sequence's members (clang 14 + libstdc++ 12).
  std::size_t size() const noexcept;
  bool empty() const noexcept;
  void reserve(std::size_t n);

  const Value* find(std::string_view key) const noexcept;
  Value* find(std::string_view key) noexcept;
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }
  const Value& at(std::string_view key) const;  // throws KeyError
  Value& at(std::string_view key);
  Value& operator[](std::string_view key);  // inserts null when missing
  // Returns true when the key was new.
  bool insert_or_assign(std::string key, Value value);
  bool erase(std::string_view key);  // O(n): keeps the order of the rest

  iterator begin() noexcept { return entries_.begin(); }
  iterator end() noexcept { return entries_.end(); }
  const_iterator begin() const noexcept { return entries_.begin(); }
  const_iterator end() const noexcept { return entries_.end(); }
  const std::vector<Entry>& entries() const noexcept { return entries_; }

  friend bool operator==(const Dict& a, const Dict& b);

 private:
  friend struct detail::ValueAccess;
  std::size_t index_of(std::string_view key) const noexcept;  // npos when missing
  void index_entry(std::size_t i);
  void rebuild_index();

  std::vector<Entry> entries_;
  // Open-addressing table of entry positions + 1 (0 = empty slot); empty
  // until the dict is large enough for hashing to beat a linear scan.
  std::vector<std::uint32_t> index_;
};

// An application-typed value: (tag, inner value). Tags 90/91 are set/frozenset.
class Tagged {
 public:
  Tagged(std::uint32_t tag, Value value);
  Tagged(const Tagged& other);
  Tagged(Tagged&&) noexcept = default;
  Tagged& operator=(const Tagged& other);
  Tagged& operator=(Tagged&&) noexcept = default;
  ~Tagged();

  std::uint32_t tag() const noexcept { return tag_; }
  const Value& value() const noexcept { return *value_; }
  Value& value() noexcept { return *value_; }

  friend bool operator==(const Tagged& a, const Tagged& b);

 private:
  std::uint32_t tag_;
  std::unique_ptr<Value> value_;  // boxed: a Value cannot contain itself
};

class Value;
template <class T>
concept ToCrous = requires(Value& out, const T& in) { to_crous(out, in); };

class Value {
 public:
  Value() noexcept = default;
  Value(std::nullptr_t) noexcept {}
  Value(bool b) noexcept : data_(b) {}
  template <std::integral T>
    requires(!std::same_as<T, bool> && !std::same_as<T, char>)
  Value(T n) : data_(checked_int(n)) {}
  Value(double d) noexcept : data_(d) {}
  Value(float f) noexcept : data_(static_cast<double>(f)) {}
  Value(const char* s) : data_(std::in_place_type<std::string>, s) {}
  Value(std::string s) noexcept : data_(std::move(s)) {}
  Value(std::string_view s) : data_(std::in_place_type<std::string>, s) {}
  Value(Bytes b) noexcept : data_(std::move(b)) {}
  Value(List l) noexcept : data_(std::move(l)) {}
  Value(Tuple t) noexcept : data_(std::move(t)) {}
  Value(Dict d) noexcept : data_(std::move(d)) {}
  Value(Tagged t) noexcept : data_(std::move(t)) {}
  template <ToCrous T>
    requires(!std::convertible_to<T, std::string_view>)
  Value(const T& user) {
    to_crous(*this, user);
  }

  Kind kind() const noexcept { return static_cast<Kind>(data_.index()); }
  bool is_null() const noexcept { return kind() == Kind::null; }
  bool is_bool() const noexcept { return kind() == Kind::boolean; }
  bool is_int() const noexcept { return kind() == Kind::integer; }
  bool is_float() const noexcept { return kind() == Kind::floating; }
  bool is_string() const noexcept { return kind() == Kind::string; }
  bool is_bytes() const noexcept { return kind() == Kind::bytes; }
  bool is_list() const noexcept { return kind() == Kind::list; }
  bool is_tuple() const noexcept { return kind() == Kind::tuple; }
  bool is_dict() const noexcept { return kind() == Kind::dict; }
  bool is_tagged() const noexcept { return kind() == Kind::tagged; }

  // Checked accessors: TypeError names the expected and the actual kind.
  bool as_bool() const { return get_as<bool>(Kind::boolean); }
  std::int64_t as_int() const { return get_as<std::int64_t>(Kind::integer); }
  double as_float() const { return get_as<double>(Kind::floating); }
  const std::string& as_string() const { return get_as<std::string>(Kind::string); }
  std::string& as_string() { return get_as<std::string>(Kind::string); }
  const Bytes& as_bytes() const { return get_as<Bytes>(Kind::bytes); }
  Bytes& as_bytes() { return get_as<Bytes>(Kind::bytes); }
  const List& as_list() const { return get_as<List>(Kind::list); }
  List& as_list() { return get_as<List>(Kind::list); }
  const Tuple& as_tuple() const { return get_as<Tuple>(Kind::tuple); }
  Tuple& as_tuple() { return get_as<Tuple>(Kind::tuple); }
  const Dict& as_dict() const { return get_as<Dict>(Kind::dict); }
  Dict& as_dict() { return get_as<Dict>(Kind::dict); }
  const Tagged& as_tagged() const { return get_as<Tagged>(Kind::tagged); }
  Tagged& as_tagged() { return get_as<Tagged>(Kind::tagged); }

  // Dict access. The const form throws KeyError for a missing key; the
  // mutable form inserts null (and turns a null Value into an empty dict).
  const Value& operator[](std::string_view key) const;
  Value& operator[](std::string_view key);
  const Value& operator[](const char* key) const { return (*this)[std::string_view(key)]; }
  Value& operator[](const char* key) { return (*this)[std::string_view(key)]; }
  const Value* find(std::string_view key) const noexcept;  // nullptr if not a dict or missing
  bool contains(std::string_view key) const noexcept { return find(key) != nullptr; }

  // List/tuple access by position; throws KeyError when out of range.
  template <std::integral I>
  const Value& operator[](I index) const { return item(static_cast<std::size_t>(index)); }
  template <std::integral I>
  Value& operator[](I index) { return item(static_cast<std::size_t>(index)); }

  // Items of a list/tuple, entries of a dict, bytes of string/bytes.
  std::size_t size() const;

  template <class T>
  T get() const {
    T out{};
    from_crous(*this, out);
    return out;
  }

  friend bool operator==(const Value& a, const Value& b) noexcept;

  // Python-like one-line rendering for logs and test failures.
  std::string debug_string() const;

 private:
  using Data = std::variant<std::nullptr_t, bool, std::int64_t, double, std::string, Bytes, List, Tuple, Dict, Tagged>;

  template <std::integral T>
  static std::int64_t checked_int(T n) {
    if constexpr (std::is_unsigned_v<T> && sizeof(T) >= sizeof(std::int64_t)) {
      if (n > static_cast<T>(INT64_MAX)) throw_int_overflow();
    }
    return static_cast<std::int64_t>(n);
  }
  friend struct detail::ValueAccess;
  [[noreturn]] static void throw_int_overflow();
  [[noreturn]] void throw_kind(Kind expected) const;

  template <class T>
  const T& get_as(Kind expected) const {
    if (const T* p = std::get_if<T>(&data_)) return *p;
    throw_kind(expected);
  }
  template <class T>
  T& get_as(Kind expected) {
    if (T* p = std::get_if<T>(&data_)) return *p;
    throw_kind(expected);
  }
  const Value& item(std::size_t index) const;
  Value& item(std::size_t index);

  Data data_;
};

std::ostream& operator<<(std::ostream& os, const Value& value);

// ADL hooks for the built-in types, so v.get<std::string>() etc. work.
void from_crous(const Value& in, bool& out);
void from_crous(const Value& in, std::int64_t& out);
void from_crous(const Value& in, int& out);
void from_crous(const Value& in, double& out);
void from_crous(const Value& in, std::string& out);
void from_crous(const Value& in, Bytes& out);
void from_crous(const Value& in, Value& out);

inline std::size_t Dict::size() const noexcept {
  return entries_.size();
}
inline bool Dict::empty() const noexcept {
  return entries_.empty();
}
inline void Dict::reserve(std::size_t n) {
  entries_.reserve(n);
}

template <class Tag>
Sequence<Tag>::Sequence(std::initializer_list<Value> items) : items_(items) {}
template <class Tag>
Sequence<Tag>::Sequence(std::vector<Value> items) noexcept : items_(std::move(items)) {}
template <class Tag>
std::size_t Sequence<Tag>::size() const noexcept {
  return items_.size();
}
template <class Tag>
bool Sequence<Tag>::empty() const noexcept {
  return items_.empty();
}
template <class Tag>
Value& Sequence<Tag>::operator[](std::size_t i) {
  return items_[i];
}
template <class Tag>
const Value& Sequence<Tag>::operator[](std::size_t i) const {
  return items_[i];
}
template <class Tag>
void Sequence<Tag>::reserve(std::size_t n) {
  items_.reserve(n);
}
template <class Tag>
void Sequence<Tag>::push_back(Value v) {
  items_.push_back(std::move(v));
}
template <class Tag>
const Value& Sequence<Tag>::at(std::size_t i) const {
  if (i >= items_.size()) throw KeyError("index " + std::to_string(i) + " out of range (size " + std::to_string(items_.size()) + ")");
  return items_[i];
}
template <class Tag>
Value& Sequence<Tag>::at(std::size_t i) {
  return const_cast<Value&>(std::as_const(*this).at(i));
}

}  // namespace crous
