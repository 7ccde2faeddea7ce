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

Value order_record(std::uint64_t i) {
  const auto n = static_cast<std::int64_t>(i);
  List items;
  for (std::int64_t k = 0; k < 12; ++k) {
    const std::int64_t sku = (n * 31 + k * 7) % 500;
    items.push_back(Dict{{"sku", "SKU-" + std::to_string(100000 + sku)},
                         {"name", "Widget model " + std::to_string(sku % 40) + " (standard edition)"},
                         {"quantity", 1 + (n + k) % 5},
                         {"unit_price", static_cast<double>(sku % 97) + 0.99},
                         {"warehouse", k % 2 == 0 ? "eu-west-1" : "eu-central-1"},
                         {"gift_wrap", (n + k) % 7 == 0}});
  }
  List history;
  for (const char* status : {"created", "paid", "packed", "shipped"})
    history.push_back(Dict{{"status", status}, {"at", 1700000000 + n * 60 + static_cast<std::int64_t>(history.size()) * 3600}});
  return Dict{{"order_id", n},
              {"customer", Dict{{"id", n % 3000},
                                {"name", "Customer " + std::to_string(n % 3000)},
                                {"email", "customer" + std::to_string(n % 3000) + "@example.com"},
                                {"address", Dict{{"street", std::to_string(n % 200) + " Long Street"}, {"city", "Springfield"}, {"country", "NL"}}}}},
              {"items", std::move(items)},
              {"history", std::move(history)},
              {"currency", "EUR"},
              {"notes", "Leave the parcel with the neighbours if nobody is at home."}};
}

std::vector<Value> make_corpus(std::size_t count) {
  std::vector<Value> records;
  records.reserve(count);
  for (std::size_t i = 0; i < count; ++i) records.push_back(corpus_record(i));
  return records;
}

}  // namespace crous::bench
