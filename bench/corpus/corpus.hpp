#pragma once
// The benchmark corpus: 20,000 deterministic user-like records (~2.4 MB as FLUX).
#include <cstdint>
#include <vector>

#include "crous/value.hpp"

namespace crous::bench {

inline constexpr std::size_t corpus_records = 20'000;

// {"id", "name", "email", "scores": [5 ints], "active", "ratio", "tags": ["alpha", "beta"]}
Value corpus_record(std::uint64_t i);
std::vector<Value> make_corpus(std::size_t count = corpus_records);

}  // namespace crous::bench
