#pragma once
// Reads the items of one huge top-level list, tuple or dict one at a time
// with constant memory: only the current item is held. Limits apply per item
// (max_record_bytes bounds each item, max_depth counts from the container).
// A stream of such records, back to back, is read with next_record().
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "crous/limits.hpp"
#include "crous/record_buffer.hpp"
#include "crous/value.hpp"

namespace crous {

class InputStream;

class LazyReader {
 public:
  // Reads the header and the container's declaration. Throws DecodeError if
  // the record does not start with a list, tuple or dict.
  explicit LazyReader(InputStream& in, const Limits& limits = {});

  // After the last item of a record: reads the header and container of the
  // next record of the stream, as the constructor does; false at a clean
  // end of the stream. Throws UsageError while items are left.
  bool next_record();

  Kind kind() const noexcept { return kind_; }
  std::uint64_t declared_size() const noexcept { return declared_; }
  std::uint64_t items_read() const noexcept { return read_; }

  // List/tuple: the next item, or nullopt after the last one.
  std::optional<Value> next();
  // Dict: the next (key, value) entry, or nullopt after the last one.
  std::optional<std::pair<std::string, Value>> next_entry();
  // Stream offset of the next unread byte (for error reports and resuming).
  std::uint64_t offset() const noexcept { return buffer_.stream_offset(); }
  // Stream offset of the current record's header.
  std::uint64_t record_offset() const noexcept { return record_offset_; }

 private:
  void begin_record();
  std::uint8_t byte();
  std::uint64_t varint();
  Value item();
  void fill();  // reads more or throws truncated
  [[noreturn]] void truncated() const;

  InputStream& in_;
  // Frames single values (no header): the items.
  RecordBuffer buffer_;
  Kind kind_ = Kind::list;
  std::uint64_t declared_ = 0;
  std::uint64_t read_ = 0;
  std::uint64_t record_offset_ = 0;
  bool in_header_ = false;  // reading a record's header and container declaration
};

}  // namespace crous
