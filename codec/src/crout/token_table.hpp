#pragma once
// Writer side of the token table: which keys get one-character tokens, by
// the original's exact rule (FORMAT.md, "Token table"), so compact output is
// byte-identical to the original's.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "crout/events.hpp"

namespace crous::detail {

// Lets string-keyed maps be searched with a string_view, without a copy.
struct StringHash {
  using is_transparent = void;
  std::size_t operator()(std::string_view s) const noexcept { return std::hash<std::string_view>{}(s); }
};

class TokenTable {
 public:
  // The first `tracked_keys_limit` distinct keys met, with how often each
  // occurs. The views point into the value or record being written.
  using Counts = std::vector<std::pair<std::string_view, std::uint64_t>>;
  static constexpr std::size_t tracked_keys_limit = 55;
  static constexpr std::string_view alphabet = "acdeghjklmnopqruvwxyzABCDEGHIJKLMOPQRSUVWXYZ0123456789";

  TokenTable() = default;
  explicit TokenTable(Counts counts);

  // The token for `key`, or 0 when the key is written out in full.
  char find(std::string_view key) const noexcept;
  // "@ <token>=<key>\n" for every token, in table order.
  void write_lines(std::string& out) const;
  std::size_t size() const noexcept { return keys_.size(); }

 private:
  std::vector<std::string> keys_;  // keys_[i] has token alphabet[i]
  std::unordered_map<std::string, char, StringHash, std::equal_to<>> index_;
};

// A sink that counts dict keys in document order, for TokenTable. Keys are
// kept as views, so the walked value or record must outlive the counter.
class KeyCounter : public IgnoreEvents {
 public:
  void key(std::string_view k);
  TokenTable::Counts take() { return std::move(counts_); }

 private:
  TokenTable::Counts counts_;
  std::unordered_map<std::string_view, std::size_t> index_;
};

}  // namespace crous::detail
