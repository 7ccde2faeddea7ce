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

// Larger records, repetitive in keys and text as a service's records are:
// 2,000 orders of ~2 KB as FLUX (a customer, a dozen line items, a status
// history). crous-lz4-bench compresses them and crous-bench --records
// orders sends them, so both benchmarks see the same bytes.
inline constexpr std::size_t order_records = 2'000;
Value order_record(std::uint64_t i);

}  // namespace crous::bench
