#pragma once
// Reads a stream of JSON values separated by whitespace (JSON Lines, or
// pretty-printed documents one after another), one at a time, mapped to
// Crous values. Memory is bounded by the largest value.
#include <cstdint>
#include <exception>
#include <istream>
#include <optional>
#include <streambuf>
#include <vector>

#include "crous/stream.hpp"
#include "crous/value.hpp"

namespace crous::json {

class JsonReader {
 public:
  explicit JsonReader(InputStream& in);

  // Throws DecodeError(syntax) with the stream offset for malformed JSON,
  // and whatever the InputStream throws (I/O, a bad compressed block).
  std::optional<Value> next();
  std::uint64_t document_offset() const noexcept { return document_offset_; }
  // Where reading stopped after the last value.
  std::uint64_t end_offset() const noexcept { return buffer_.position(); }

 private:
  // Presents an InputStream as a std::streambuf for nlohmann's istream reader.
  class Buffer final : public std::streambuf {
   public:
    explicit Buffer(InputStream& in) : in_(in), data_(64 * 1024) {}
    std::uint64_t position() const noexcept { return consumed_ + static_cast<std::uint64_t>(gptr() - eback()); }
    // std::istream catches what underflow() throws and reports a mere end
    // of file, so a read error is kept here and rethrown by the reader.
    void rethrow_read_error() const {
      if (error_) std::rethrow_exception(error_);
    }

   protected:
    int_type underflow() override;

   private:
    InputStream& in_;
    std::vector<char> data_;
    std::uint64_t consumed_ = 0;  // bytes before the current window
    std::exception_ptr error_;     // the read failed: the stream ends here
  };

  Buffer buffer_;
  std::istream stream_;
  std::uint64_t document_offset_ = 0;
};

}  // namespace crous::json
