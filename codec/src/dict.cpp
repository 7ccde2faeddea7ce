#include <cstring>
#include <functional>
#include <string>

#include "crous/value.hpp"
#include "value_access.hpp"

namespace crous {

namespace {
// Below this size a linear scan beats hashing; above it the index keeps
// building and decoding a dict linear in its size.
constexpr std::size_t index_threshold = detail::ValueAccess::dict_index_threshold;
constexpr std::size_t npos = static_cast<std::size_t>(-1);

std::size_t hash_key(std::string_view key) noexcept { return std::hash<std::string_view>{}(key); }
}  // namespace

Dict::Dict(std::initializer_list<Entry> entries) {
  entries_.reserve(entries.size());
  for (const Entry& e : entries) insert_or_assign(e.first, e.second);
}
Dict::Dict(const Dict& other) = default;
Dict& Dict::operator=(const Dict& other) {
  if (this != &other) {
    entries_ = other.entries_;
    index_ = other.index_;
  }
  return *this;
}
Dict::~Dict() = default;

std::size_t Dict::index_of(std::string_view key) const noexcept {
  if (index_.empty()) {
    for (std::size_t i = 0; i < entries_.size(); ++i)
      if (entries_[i].first == key) return i;
    return npos;
  }
  const std::size_t mask = index_.size() - 1;
  for (std::size_t slot = hash_key(key) & mask;; slot = (slot + 1) & mask) {
    const std::uint32_t at = index_[slot];
    if (at == 0) return npos;
    if (entries_[at - 1].first == key) return at - 1;
  }
}

void Dict::index_entry(std::size_t i) {
  const std::size_t mask = index_.size() - 1;
  std::size_t slot = hash_key(entries_[i].first) & mask;
  while (index_[slot] != 0) slot = (slot + 1) & mask;
  index_[slot] = static_cast<std::uint32_t>(i + 1);
}

void Dict::rebuild_index() {
  std::size_t slots = 64;
  while (slots < entries_.size() * 2) slots *= 2;
  index_.assign(slots, 0);
  for (std::size_t i = 0; i < entries_.size(); ++i) index_entry(i);
}

const Value* Dict::find(std::string_view key) const noexcept {
  const std::size_t i = index_of(key);
  return i == npos ? nullptr : &entries_[i].second;
}

Value* Dict::find(std::string_view key) noexcept {
  const std::size_t i = index_of(key);
  return i == npos ? nullptr : &entries_[i].second;
}

const Value& Dict::at(std::string_view key) const {
  if (const Value* v = find(key)) return *v;
  throw KeyError("key \"" + std::string(key) + "\" not in dict");
}

Value& Dict::at(std::string_view key) { return const_cast<Value&>(std::as_const(*this).at(key)); }

Value& Dict::operator[](std::string_view key) {
  if (Value* v = find(key)) return *v;
  insert_or_assign(std::string(key), Value{});
  return entries_.back().second;
}

bool Dict::insert_or_assign(std::string key, Value value) {
  const std::size_t i = index_of(key);
  if (i != npos) {
    entries_[i].second = std::move(value);
    return false;
  }
  if (entries_.size() >= UINT32_MAX - 1) throw std::length_error("dict too large");
  entries_.emplace_back(std::move(key), std::move(value));
  if (!index_.empty() && entries_.size() * 2 <= index_.size()) {
    index_entry(entries_.size() - 1);
  } else if (entries_.size() > index_threshold) {
    rebuild_index();
  }
  return true;
}

Value* detail::ValueAccess::dict_decode_slot(Dict& d, std::string_view key, bool may_exist) {
  auto& entries = d.entries_;
  if (d.index_.empty()) {
    if (!may_exist) {
      entries.emplace_back(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple());
      if (entries.size() > index_threshold) d.rebuild_index();
      return &entries.back().second;
    }
    // Small dict: a linear scan, comparing sizes before bytes.
    const std::size_t n = key.size();
    for (auto& e : entries) {
      if (e.first.size() == n && (n == 0 || (e.first[0] == key[0] && std::memcmp(e.first.data(), key.data(), n) == 0))) {
        e.second = Value();  // the decoder writes the later value into a null slot
        return &e.second;
      }
    }
  } else {
    const std::size_t i = d.index_of(key);
    if (i != npos) {
      entries[i].second = Value();
      return &entries[i].second;
    }
  }
  if (entries.size() >= UINT32_MAX - 1) throw std::length_error("dict too large");
  entries.emplace_back(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple());
  if (!d.index_.empty() && entries.size() * 2 <= d.index_.size()) {
    d.index_entry(entries.size() - 1);
  } else if (entries.size() > index_threshold) {
    d.rebuild_index();
  }
  return &entries.back().second;
}

bool Dict::erase(std::string_view key) {
  const std::size_t i = index_of(key);
  if (i == npos) return false;
  entries_.erase(entries_.begin() + static_cast<std::ptrdiff_t>(i));
  if (entries_.size() > index_threshold) {
    rebuild_index();
  } else {
    index_.clear();
  }
  return true;
}

bool operator==(const Dict& a, const Dict& b) { return a.entries_ == b.entries_; }

}  // namespace crous
