#include "corpus.hpp"

#include <string>

namespace crous::bench {

Value corpus_record(std::uint64_t i) {
  const auto n = static_cast<std::int64_t>(i);
  List scores;
  for (std::int64_t k = 0; k < 5; ++k) scores.push_back((n * 7 + k * 13) % 100);
  return Dict{{"id", n},
              {"name", "user_" + std::to_string(i)},
              {"email", "user" + std::to_string(i) + "@example.com"},
              {"scores", std::move(scores)},
              {"active", i % 3 != 0},
              {"ratio", static_cast<double>(i % 1000) / 7.0},
              {"tags", List{"alpha", "beta"}}};
}

std::vector<Value> make_corpus(std::size_t count) {
  std::vector<Value> records;
  records.reserve(count);
  for (std::size_t i = 0; i < count; ++i) records.push_back(corpus_record(i));
  return records;
}

}  // namespace crous::bench
