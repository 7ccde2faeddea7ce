#pragma once
// Multi-record streams: records back to back, no framing (FORMAT.md "Streams of records").
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "crous/limits.hpp"
#include "crous/record_buffer.hpp"
#include "crous/value.hpp"

namespace crous {

class InputStream;
class OutputStream;

// Appends records to a stream (the original's dump_to_stream, made to work
// for many records). Buffered: call flush() to push them out.
class RecordWriter {
 public:
  explicit RecordWriter(OutputStream& out) noexcept : out_(out) {}
  void write(const Value& record);
  void flush();
  std::size_t records_written() const noexcept { return records_; }

 private:
  OutputStream& out_;
  std::vector<std::uint8_t> scratch_;
  std::size_t records_ = 0;
};

// Returns the records of a stream one at a time. next() gives std::nullopt on
// a clean end of stream at a record boundary; a stream that ends inside a
// record throws DecodeError(truncated). Error offsets count from the start of
// the stream. Memory is bounded by the largest record (<= max_record_bytes).
class RecordReader {
 public:
  explicit RecordReader(InputStream& in, const Limits& limits = {});
  std::optional<Value> next();
  // Like next(), but hands back the raw bytes of the record (valid until the
  // next call) without decoding. Structure, limits and (with validate_utf8) UTF-8 are checked.
  std::optional<std::span<const std::uint8_t>> next_raw();
  // Stream offset of the record most recently returned.
  std::uint64_t record_offset() const noexcept { return buffer_.record_offset(); }

 private:
  InputStream& in_;
  RecordBuffer buffer_;
};

}  // namespace crous
