#pragma once
// Events -> FLUX v1 bytes, for sources that do not say how many items a
// container holds until it closes (CROUT text). A count is written as a
// one-byte placeholder and patched at the close; only counts of 128 or more
// need the container's bytes shifted, so the work stays close to linear.
// Extra memory: one entry per open container.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "crous/limits.hpp"
#include "crous/value.hpp"
#include "crout/events.hpp"

namespace crous::detail {

class FluxEmitter {
 public:
  // Appends one record (header + value) to `out`.
  FluxEmitter(Bytes& out, const Limits& limits);

  void null_value();
  void boolean(bool b);
  void integer(std::int64_t n);
  void floating(double d);
  void string(std::string_view s);
  void bytes(std::span<const std::uint8_t> b);
  void begin_list();
  void begin_tuple();
  void begin_dict();
  void begin_tagged(std::uint32_t tag);
  void key(std::string_view k);
  void end();

 private:
  struct Open {
    std::size_t count_at;  // position of the count placeholder in out_
    std::uint64_t count;
    bool counted;  // false for tagged (exactly one value, no count)
    bool dict;     // entries are counted by key(), not by their values
  };
  void item();
  void begin_counted(std::uint8_t tag, bool dict);
  void put_tag(std::uint8_t tag) { out_.push_back(tag); }
  void put_varint(std::uint64_t v);
  void put_raw(const void* data, std::size_t size);
  void check_size();

  Bytes& out_;
  std::size_t start_;
  std::size_t max_bytes_;
  std::vector<Open> stack_;
};
static_assert(EventSink<FluxEmitter>);

}  // namespace crous::detail
