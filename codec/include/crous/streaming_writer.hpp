#pragma once
// Constant-memory writer: declare a container's item count, then write its
// items one by one; nothing is built in memory. Counts are checked: writing
// more items than declared, or closing a container short, is a UsageError.
//
//   crous::StreamingWriter w(out);
//   w.begin_list(10'000'000);
//   for (...) w.value(item);      // or nested begin_dict(...) / key(...) / ...
//   w.end();                      // closes the list; the record is complete
//   out.flush();
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "crous/value.hpp"

namespace crous {

class OutputStream;

class StreamingWriter {
 public:
  explicit StreamingWriter(OutputStream& out) noexcept : out_(out) {}

  // Each top-level value begins a new record (the header is written for you).
  void begin_list(std::uint64_t count);
  void begin_tuple(std::uint64_t count);
  void begin_dict(std::uint64_t count);
  void begin_tagged(std::uint32_t tag);  // exactly one value follows
  void key(std::string_view key);         // inside a dict, before each value
  void value(const Value& value);         // a whole value as one item
  // Closes the innermost container; throws UsageError if items are missing.
  void end();
  // True when no container is open (the last record is complete).
  bool complete() const noexcept { return stack_.empty(); }
  std::size_t depth() const noexcept { return stack_.size(); }

 private:
  struct Open {
    std::uint64_t remaining;
    bool dict;
    bool key_given;
  };
  void before_item();
  void begin(std::uint8_t tag, std::uint64_t varint, std::uint64_t items, bool dict);
  void after_item();
  void emit();

  OutputStream& out_;
  std::vector<Open> stack_;
  std::vector<std::uint8_t> scratch_;
};

}  // namespace crous
