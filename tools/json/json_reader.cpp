#include "json_reader.hpp"

#include <string>

#include "crous/error.hpp"
#include "json_mapping.hpp"

namespace crous::cli {

JsonReader::Buffer::int_type JsonReader::Buffer::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  consumed_ += static_cast<std::uint64_t>(egptr() - eback());
  const std::size_t got = in_.read(reinterpret_cast<std::uint8_t*>(data_.data()), data_.size());
  setg(data_.data(), data_.data(), data_.data() + got);
  return got == 0 ? traits_type::eof() : traits_type::to_int_type(data_[0]);
}

JsonReader::JsonReader(InputStream& in) : buffer_(in), stream_(&buffer_) {}

std::optional<Value> JsonReader::next() {
  stream_ >> std::ws;
  if (stream_.peek() == std::istream::traits_type::eof()) return std::nullopt;
  document_offset_ = buffer_.position();
  Json json;
  try {
    stream_ >> json;  // reads one value and stops, leaving the rest
  } catch (const Json::parse_error& e) {
    throw DecodeError(ErrorCode::syntax, static_cast<std::size_t>(document_offset_ + e.byte - (e.byte > 0 ? 1 : 0)), e.what());
  }
  try {
    return from_json(json);
  } catch (const DecodeError& e) {
    throw DecodeError(e.code(), static_cast<std::size_t>(document_offset_), e.message());
  }
}

}  // namespace crous::cli
