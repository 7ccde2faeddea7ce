#include "crous/json/json_reader.hpp"

#include <string>

#include "crous/error.hpp"
#include "crous/json/mapping.hpp"

namespace crous::json {

JsonReader::Buffer::int_type JsonReader::Buffer::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  consumed_ += static_cast<std::uint64_t>(egptr() - eback());
  if (error_) return traits_type::eof();
  std::size_t got = 0;
  try {
    got = in_.read(reinterpret_cast<std::uint8_t*>(data_.data()), data_.size());
  } catch (...) {
    error_ = std::current_exception();
  }
  setg(data_.data(), data_.data(), data_.data() + got);
  return got == 0 ? traits_type::eof() : traits_type::to_int_type(data_[0]);
}

JsonReader::JsonReader(InputStream& in) : buffer_(in), stream_(&buffer_) {}

std::optional<Value> JsonReader::next() {
  stream_ >> std::ws;
  const bool ended = stream_.peek() == std::istream::traits_type::eof();
  buffer_.rethrow_read_error();
  if (ended) return std::nullopt;
  document_offset_ = buffer_.position();
  Json json;
  try {
    stream_ >> json;  // reads one value and stops, leaving the rest
  } catch (const Json::parse_error& e) {
    buffer_.rethrow_read_error();  // the value was cut by the error, not malformed
    throw DecodeError(ErrorCode::syntax, static_cast<std::size_t>(document_offset_ + e.byte - (e.byte > 0 ? 1 : 0)), e.what());
  }
  buffer_.rethrow_read_error();  // a number may have ended where reading failed
  try {
    return from_json(json);
  } catch (const DecodeError& e) {
    throw DecodeError(e.code(), static_cast<std::size_t>(document_offset_), e.message());
  }
}

}  // namespace crous::json
