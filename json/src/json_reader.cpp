#include "crous/json/json_reader.hpp"

#include <string>

#include "crous/error.hpp"
#include "crous/json/mapping.hpp"
#include "json_builder.hpp"

namespace crous::json {

JsonReader::Buffer::int_type JsonReader::Buffer::underflow() {
  if (gptr() < egptr()) return traits_type::to_int_type(*gptr());
  consumed_ += static_cast<std::uint64_t>(egptr() - eback());
  if (error_) return traits_type::eof();
  if (max_value_bytes_ && consumed_ - value_start_ >= *max_value_bytes_) {
    // The value has had its bytes and wants more: it ends here.
    error_ = std::make_exception_ptr(too_long());
    setg(data_.data(), data_.data(), data_.data());
    return traits_type::eof();
  }
  std::size_t got = 0;
  try {
    got = in_.read(reinterpret_cast<std::uint8_t*>(data_.data()), data_.size());
  } catch (...) {
    error_ = std::current_exception();
  }
  setg(data_.data(), data_.data(), data_.data() + got);
  return got == 0 ? traits_type::eof() : traits_type::to_int_type(data_[0]);
}

DecodeError JsonReader::Buffer::too_long() const {
  return DecodeError(ErrorCode::limit_exceeded, static_cast<std::size_t>(value_start_),
                     "value longer than the record limit of " + std::to_string(max_value_bytes_.value_or(0)) + " bytes");
}

JsonReader::JsonReader(InputStream& in, const Limits& limits) : buffer_(in), stream_(&buffer_), limits_(limits) {}

std::optional<Value> JsonReader::next() {
  buffer_.end_value();
  stream_ >> std::ws;
  const bool ended = stream_.peek() == std::istream::traits_type::eof();
  buffer_.rethrow_read_error();
  if (ended) return std::nullopt;
  document_offset_ = buffer_.position();
  buffer_.start_value(document_offset_, limits_.max_record_bytes);
  Json json;
  // A Crous level takes at most two JSON levels ({"$tuple": [...]}), and a
  // marker at a leaf one more: deeper JSON cannot be within max_depth.
  JsonBuilder builder(json, 2 * std::size_t{limits_.max_depth} + 1);
  bool parsed = false;
  try {
    // Not strict: reads one value and stops, leaving the rest.
    parsed = Json::sax_parse(stream_, &builder, Json::input_format_t::json, false);
  } catch (const DecodeError& e) {  // refused by the builder: about the value as a whole
    buffer_.rethrow_read_error();
    throw in_value(e);
  }
  // Before the parser's own complaint: a value cut by a read error is not
  // malformed, and a number may have ended where reading failed.
  buffer_.rethrow_read_error();
  if (!parsed) throw in_value(*builder.failure());
  // Reading stops soon after the limit; this says it exactly.
  if (end_offset() - document_offset_ > limits_.max_record_bytes) buffer_.fail_too_long();
  try {
    return from_json(json, limits_);
  } catch (const DecodeError& e) {
    throw in_value(e);
  }
}

DecodeError JsonReader::in_value(const DecodeError& error) const {
  return DecodeError(error.code(), static_cast<std::size_t>(document_offset_ + error.offset()), error.message());
}

}  // namespace crous::json
