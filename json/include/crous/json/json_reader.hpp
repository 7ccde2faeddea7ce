#pragma once
// Reads a stream of JSON values separated by whitespace (JSON Lines, or
// pretty-printed documents one after another), one at a time, mapped to
// Crous values. Memory is bounded by the largest value, which may take
// Limits::max_record_bytes of text.
#include <cstdint>
#include <exception>
#include <istream>
#include <optional>
#include <streambuf>
#include <vector>

#include "crous/error.hpp"
#include "crous/limits.hpp"
#include "crous/stream.hpp"
#include "crous/value.hpp"

namespace crous::json {

class JsonReader {
 public:
  explicit JsonReader(InputStream& in, const Limits& limits = {});

  // Throws DecodeError with the stream offset: syntax for malformed JSON;
  // limit_exceeded for a value longer than the limit; invalid_value for an
  // integer beyond 64 signed bits, a number beyond a double (1e400) or what
  // the mapping refuses; depth_exceeded for nesting beyond the limit. And
  // whatever the InputStream throws (I/O, a bad compressed block).
  std::optional<Value> next();
  std::uint64_t document_offset() const noexcept { return document_offset_; }
  // Where reading stopped after the last value.
  std::uint64_t end_offset() const noexcept { return buffer_.position(); }

 private:
  // `error`, whose offset counts from the start of the current value, with
  // the offset counted from the start of the stream.
  DecodeError in_value(const DecodeError& error) const;

  // Presents an InputStream as a std::streambuf for nlohmann's istream reader.
  class Buffer final : public std::streambuf {
   public:
    explicit Buffer(InputStream& in) : in_(in), data_(64 * 1024) {}
    std::uint64_t position() const noexcept { return consumed_ + static_cast<std::uint64_t>(gptr() - eback()); }
    // A value starts here: reading past start + max_bytes fails (limit_exceeded).
    void start_value(std::uint64_t start, std::size_t max_bytes) noexcept {
      value_start_ = start;
      max_value_bytes_ = max_bytes;
    }
    // Between values, whitespace of any length.
    void end_value() noexcept { max_value_bytes_.reset(); }
    [[noreturn]] void fail_too_long() const { throw too_long(); }
    // std::istream catches what underflow() throws and reports a mere end
    // of file, so a read error is kept here and rethrown by the reader.
    void rethrow_read_error() const {
      if (error_) std::rethrow_exception(error_);
    }

   protected:
    int_type underflow() override;

   private:
    DecodeError too_long() const;

    InputStream& in_;
    std::vector<char> data_;
    std::uint64_t consumed_ = 0;  // bytes before the current window
    std::exception_ptr error_;     // the read failed: the stream ends here
    std::uint64_t value_start_ = 0;
    std::optional<std::size_t> max_value_bytes_;
  };

  Buffer buffer_;
  std::istream stream_;
  Limits limits_;
  std::uint64_t document_offset_ = 0;
};

}  // namespace crous::json
