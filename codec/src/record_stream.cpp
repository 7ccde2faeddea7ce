#include "crous/record_stream.hpp"

#include "crous/flux.hpp"
#include "crous/stream.hpp"

namespace crous {

void RecordWriter::write(const Value& record) {
  scratch_.clear();
  encode_flux(record, scratch_);
  out_.write(scratch_.data(), scratch_.size());
  ++records_;
}

void RecordWriter::flush() { out_.flush(); }

RecordReader::RecordReader(InputStream& in, const Limits& limits) : in_(in), buffer_(limits) {}

std::optional<std::span<const std::uint8_t>> RecordReader::next_raw() {
  for (;;) {
    if (auto record = buffer_.next()) return record;
    if (!buffer_.fill(in_)) {
      if (buffer_.empty()) return std::nullopt;  // clean end at a record boundary
      throw DecodeError(ErrorCode::truncated, buffer_.end_offset(),
                        "stream ends inside the record that starts at byte " + std::to_string(buffer_.stream_offset()));
    }
  }
}

std::optional<Value> RecordReader::next() {
  const auto raw = next_raw();
  if (!raw) return std::nullopt;
  try {
    return decode_flux(*raw, buffer_.limits());
  } catch (const DecodeError& e) {
    throw DecodeError(e.code(), buffer_.record_offset() + e.offset(), e.message());
  }
}

}  // namespace crous
