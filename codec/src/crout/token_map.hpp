#pragma once
// Reader side of the token table: token name -> key. The original writes
// one-character tokens, so those take a direct-indexed fast path; longer
// names (hand-written documents) fall back to a linear search. Built once
// per document, so construction must stay cheap for small documents.
#include <array>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace crous::detail {

class TokenMap {
 public:
  // A later definition of the same token replaces the earlier one.
  void define(std::string_view token, std::string_view key) {
    if (const std::string* known = find(token)) {
      keys_[static_cast<std::size_t>(known - keys_.data())] = key;
      return;
    }
    names_.emplace_back(token);
    keys_.emplace_back(key);
    if (token.size() == 1) single_[static_cast<unsigned char>(token[0]) & 0x7F] = static_cast<std::int32_t>(keys_.size());
  }

  const std::string* find(std::string_view word) const noexcept {
    if (keys_.empty()) return nullptr;
    if (word.size() == 1) {
      const std::int32_t slot = single_[static_cast<unsigned char>(word[0]) & 0x7F];
      return slot == 0 ? nullptr : &keys_[static_cast<std::size_t>(slot - 1)];
    }
    for (std::size_t i = 0; i < names_.size(); ++i) {
      if (names_[i] == word) return &keys_[i];
    }
    return nullptr;
  }

 private:
  std::array<std::int32_t, 128> single_{};  // 1 + index into keys_, 0 = undefined
  std::vector<std::string> names_;
  std::vector<std::string> keys_;
};

}  // namespace crous::detail
