#pragma once
// A read-only, zero-copy decoded FLUX document.
//
//   crous::Document doc;
//   doc.decode(bytes);                         // same validation and errors as decode_flux
//   crous::ValueRef rec = doc.root();
//   rec["name"].as_string();                   // std::string_view into `bytes`
//   rec["scores"][1].as_int();
//   for (auto [key, value] : rec.entries()) ...
//   crous::Value owned = rec.to_value();       // an owning copy, equal to decode_flux(bytes)
//
// decode() checks exactly what decode_flux checks (header, tags, varints,
// Limits, depth, UTF-8) and throws the same DecodeError (code and offset);
// both run the same parser. Values live in one flat array of nodes owned by
// the Document, reused by the next decode(); strings and bytes are views into
// the input, which must outlive every ValueRef taken from the document.
// Dict semantics match Dict: a repeated key keeps its first position and its
// later value.
#include <concepts>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <optional>
#include <string_view>
#include <vector>

#include "crous/flux.hpp"
#include "crous/limits.hpp"
#include "crous/value.hpp"

namespace crous {

namespace detail {
// One value: its kind in the low 8 bits of `head` and, above them, the
// length (string, bytes), item count (list, tuple), entry count (dict) or
// tag number (tagged). `payload` holds the int or float bits, the bool, the
// address of the text, or the index of the first child node (list/tuple
// items are consecutive; dict entries are key node, value node pairs;
// a tagged value's inner value is one node).
struct DocNode {
  std::uint64_t head;
  std::uint64_t payload;

  // The text of a string, bytes or key node.
  std::string_view text() const noexcept {
    // NOLINTNEXTLINE(performance-no-int-to-ptr): nodes keep the address as an integer, to stay 16 bytes
    return {reinterpret_cast<const char*>(payload), static_cast<std::size_t>(head >> 8)};
  }
};
struct DocumentBuilder;
}  // namespace detail

class ValueRef;

// A key and value of a dict, as iterated by ValueRef::entries().
struct EntryRef;

class ValueRef {
 public:
  Kind kind() const noexcept { return static_cast<Kind>(node_->head & 0xFF); }
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
  bool as_bool() const;
  std::int64_t as_int() const;
  double as_float() const;
  std::string_view as_string() const;  // a view into the decoded input
  ByteView as_bytes() const;           // a view into the decoded input
  std::uint32_t tag() const;           // tagged only
  ValueRef tagged_value() const;       // tagged only: the inner value

  // Items of a list/tuple, entries of a dict, bytes of string/bytes; TypeError otherwise.
  std::size_t size() const;

  // Dict access: KeyError for a missing key, TypeError when not a dict.
  // Lookup is a linear scan of the entries.
  ValueRef operator[](std::string_view key) const;
  ValueRef operator[](const char* key) const { return (*this)[std::string_view(key)]; }
  std::optional<ValueRef> find(std::string_view key) const noexcept;  // nullopt if not a dict or missing
  bool contains(std::string_view key) const noexcept { return find(key).has_value(); }
  // Entry i of a dict (in order); KeyError when out of range.
  std::string_view key_at(std::size_t i) const;
  ValueRef value_at(std::size_t i) const;

  // List/tuple item by position; KeyError when out of range, TypeError when not a sequence.
  template <std::integral I>
  ValueRef operator[](I index) const {
    return item(static_cast<std::size_t>(index));
  }

  // Iteration over the items of a list/tuple, or the entries of a dict.
  template <class T>
  class Iterator {
   public:
    using iterator_category = std::forward_iterator_tag;
    using value_type = T;
    using difference_type = std::ptrdiff_t;
    using pointer = void;
    using reference = T;
    Iterator() = default;
    T operator*() const noexcept { return T::at(base_, node_); }
    Iterator& operator++() noexcept {
      node_ += T::stride;
      return *this;
    }
    Iterator operator++(int) noexcept {
      Iterator old = *this;
      ++*this;
      return old;
    }
    friend bool operator==(const Iterator& a, const Iterator& b) noexcept { return a.node_ == b.node_; }

   private:
    friend class ValueRef;
    Iterator(const detail::DocNode* base, const detail::DocNode* node) noexcept : base_(base), node_(node) {}
    const detail::DocNode* base_ = nullptr;
    const detail::DocNode* node_ = nullptr;
  };
  template <class T>
  struct Range {
    Iterator<T> first, last;
    Iterator<T> begin() const noexcept { return first; }
    Iterator<T> end() const noexcept { return last; }
    std::size_t size() const noexcept { return static_cast<std::size_t>(std::distance(first, last)); }
  };
  struct ItemRef;  // adapter for items()
  Range<ItemRef> items() const;       // list/tuple; TypeError otherwise
  Range<EntryRef> entries() const;    // dict; TypeError otherwise

  // An owning copy, equal to what decode_flux returns for the same bytes.
  Value to_value() const;

  // Structural equality with an owning value (floats bitwise, like Value).
  friend bool operator==(const ValueRef& a, const Value& b);

  std::string debug_string() const { return to_value().debug_string(); }

 private:
  friend class Document;
  friend struct EntryRef;
  ValueRef(const detail::DocNode* base, const detail::DocNode* node) noexcept : base_(base), node_(node) {}
  ValueRef item(std::size_t index) const;
  std::uint64_t count() const noexcept { return node_->head >> 8; }
  const detail::DocNode* child(std::uint64_t i) const noexcept { return base_ + node_->payload + i; }
  Range<EntryRef> dict_entries() const noexcept;  // entries() of a node known to be a dict
  [[noreturn]] void throw_kind(Kind expected) const;

  const detail::DocNode* base_;
  const detail::DocNode* node_;
};

struct EntryRef {
  std::string_view key;
  ValueRef value;

  static constexpr std::size_t stride = 2;
  static EntryRef at(const detail::DocNode* base, const detail::DocNode* node) noexcept {
    return {node->text(), ValueRef(base, node + 1)};
  }
};

struct ValueRef::ItemRef : ValueRef {
  static constexpr std::size_t stride = 1;
  static ItemRef at(const detail::DocNode* base, const detail::DocNode* node) noexcept {
    return ItemRef{ValueRef(base, node)};
  }
};

class Document {
 public:
  Document() = default;

  // Decodes exactly one document (FLUX v1 or legacy CROU v2), replacing the
  // previous contents; anything after it is ErrorCode::trailing_bytes.
  // Throws DecodeError exactly like decode_flux. `data` must outlive the views.
  void decode(ByteView data, const Limits& limits = {});
  void decode(std::string_view data, const Limits& limits = {}) { decode(as_bytes(data), limits); }
  // Decodes the first document in `data`; returns its size in bytes (like decode_flux_prefix).
  std::size_t decode_prefix(ByteView data, const Limits& limits = {});
  // A new document decoded from `data`.
  static Document parse(ByteView data, const Limits& limits = {}) {
    Document doc;
    doc.decode(data, limits);
    return doc;
  }

  // The root value. UsageError when no decode() has succeeded since the last change.
  ValueRef root() const {
    if (!valid_) throw_empty();
    return ValueRef(nodes_.data(), nodes_.data());
  }
  bool empty() const noexcept { return !valid_; }
  Value to_value() const { return root().to_value(); }
  // Nodes in use (a measure of the memory held: 16 bytes each).
  std::size_t node_count() const noexcept { return used_; }

 private:
  friend struct detail::DocumentBuilder;
  [[noreturn]] static void throw_empty();
  template <class Run>
  std::size_t run(ByteView data, const Limits& limits, Run&& body);
  std::vector<detail::DocNode> nodes_;  // capacity kept between decodes; [0, used_) in use
  std::size_t used_ = 0;
  std::vector<std::size_t> scratch_;  // hash slots for large dicts' duplicate checks
  bool valid_ = false;
};

}  // namespace crous
