#include "crout/token_table.hpp"

namespace crous::detail {

namespace {

// The original's selection sort by descending count. It swaps, so equal
// counts can change relative order; byte-identical output needs exactly this.
void sort_like_original(TokenTable::Counts& counts) {
  for (std::size_t i = 0; i < counts.size(); ++i) {
    std::size_t best = i;
    for (std::size_t j = i + 1; j < counts.size(); ++j) {
      if (counts[j].second > counts[best].second) best = j;
    }
    if (best != i) std::swap(counts[i], counts[best]);
  }
}

}  // namespace

TokenTable::TokenTable(Counts counts) {
  sort_like_original(counts);
  for (const auto& [key, count] : counts) {
    if (keys_.size() == alphabet.size()) break;
    // A token line ends at a newline, so such a key could never be read back.
    if (count < 2 || key.find('\n') != std::string_view::npos) continue;
    keys_.emplace_back(key);
  }
  for (std::size_t i = 0; i < keys_.size(); ++i) index_.emplace(keys_[i], alphabet[i]);
}

char TokenTable::find(std::string_view key) const noexcept {
  if (index_.empty()) return 0;
  const auto it = index_.find(key);
  return it == index_.end() ? char{0} : it->second;
}

void TokenTable::write_lines(std::string& out) const {
  for (std::size_t i = 0; i < keys_.size(); ++i) {
    out += "@ ";
    out += alphabet[i];
    out += '=';
    out += keys_[i];
    out += '\n';
  }
}

void KeyCounter::key(std::string_view k) {
  const auto it = index_.find(k);
  if (it != index_.end()) {
    ++counts_[it->second].second;
  } else if (counts_.size() < TokenTable::tracked_keys_limit) {
    index_.emplace(k, counts_.size());
    counts_.emplace_back(k, 1);
  }
}

}  // namespace crous::detail
