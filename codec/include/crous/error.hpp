#pragma once
// Errors raised by the codec. Every decode failure carries a machine-readable
// code, the byte offset where the problem was found, and a short message.
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <string_view>

namespace crous {

enum class ErrorCode : std::uint8_t {
  truncated,        // input ended inside a record
  bad_header,       // magic or version not recognised
  unknown_tag,      // a value tag byte that no format defines
  varint_too_long,  // more than 10 varint bytes, or a value beyond 64 bits
  limit_exceeded,   // record bigger than Limits::max_record_bytes
  depth_exceeded,   // nesting deeper than Limits::max_depth
  invalid_utf8,     // string or key is not valid UTF-8
  trailing_bytes,   // bytes after the single document that was asked for
  invalid_value,    // a value the format cannot hold (e.g. tag > 2^32-1)
  syntax,           // text formats: unexpected character
  usage,            // API misuse (streaming writer count mismatch, ...)
  bad_block,        // LZ4 stream: a block's size prefix is out of range, or the block
                    // does not decompress, or decompresses to more than a page
};

// Stable lower-case name, e.g. "truncated"; used in logs and error records.
std::string_view to_string(ErrorCode code) noexcept;

class DecodeError : public std::runtime_error {
 public:
  DecodeError(ErrorCode code, std::size_t offset, std::string message);

  ErrorCode code() const noexcept { return code_; }
  // Byte offset of the problem, counted from the start of the record (or of
  // the stream, where the API says so).
  std::size_t offset() const noexcept { return offset_; }
  // The message without the "code at offset" prefix that what() carries.
  const std::string& message() const noexcept { return message_; }

 private:
  ErrorCode code_;
  std::size_t offset_;
  std::string message_;
};

// Asked a value for a kind it does not have (as_string() on an int, ...).
class TypeError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

// Looked up a dict key or list index that is not there with at()/operator[] const.
class KeyError : public std::out_of_range {
 public:
  using std::out_of_range::out_of_range;
};

// The API was used against its contract (e.g. a streaming writer was given
// more items than it declared).
class UsageError : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

}  // namespace crous
