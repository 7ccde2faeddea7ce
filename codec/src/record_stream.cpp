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

RecordReader::RecordReader(InputStream& in, const Limits& limits) : in_(in), limits_(limits), scanner_(limits) {}

// Drops the records already returned and reads more, so the buffer never
// holds more than one record plus one read chunk.
bool RecordReader::fill() {
  const std::size_t consumed = begin_;
  begin_ = 0;
  scanned_ -= consumed;
  return buffer_.refill(in_, consumed);
}

std::optional<std::span<const std::uint8_t>> RecordReader::next_raw() {
  for (;;) {
    if (scanned_ < buffer_.size()) {
      const auto result = scanner_.feed({buffer_.data() + scanned_, buffer_.size() - scanned_});
      scanned_ += result.consumed;
      if (result.status == RecordScanner::Status::error) {
        const DecodeError e = scanner_.error();
        throw DecodeError(e.code(), buffer_.stream_offset() + begin_ + e.offset(), e.message());
      }
      if (result.status == RecordScanner::Status::complete) {
        const std::span<const std::uint8_t> record(buffer_.data() + begin_, scanner_.record_size());
        record_offset_ = buffer_.stream_offset() + begin_;
        begin_ += record.size();
        return record;
      }
    }
    if (!fill()) {
      if (begin_ == buffer_.size()) return std::nullopt;  // clean end at a record boundary
      throw DecodeError(ErrorCode::truncated, buffer_.stream_offset() + buffer_.size(),
                        "stream ends inside the record that starts at byte " +
                            std::to_string(buffer_.stream_offset() + begin_));
    }
  }
}

std::optional<Value> RecordReader::next() {
  const auto raw = next_raw();
  if (!raw) return std::nullopt;
  try {
    return decode_flux(*raw, limits_);
  } catch (const DecodeError& e) {
    throw DecodeError(e.code(), record_offset_ + e.offset(), e.message());
  }
}

}  // namespace crous
