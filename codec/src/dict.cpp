#include <functional>
#include <string>

#include "crous/value.hpp"

namespace crous {

namespace {
// Below this size a linear scan beats hashing; above it the index keeps
// building and decoding a dict linear in its size.
constexpr std::size_t index_threshold = 16;
constexpr std::size_t npos = static_cast<std::size_t>(-1);

std::size_t hash_key(std::string_view key) noexcept { return std::hash<std::string_view>{}(key); }
}  // namespace

Dict::Dict(std::initializer_list<Entry> entries) {
  entries_.reserve(entries.size());
  for (const Entry& e : entries) insert_or_assign(e.first, e.second);
}
Dict::Dict(const Dict& other) : entries_(other.entries_), index_(other.index_) {}
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
