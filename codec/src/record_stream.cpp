#include "crous/record_stream.hpp"

#include "crous/flux.hpp"
#include "crous/stream.hpp"

namespace crous {

namespace {
constexpr std::size_t read_chunk = 64 * 1024;
}

void RecordWriter::write(const Value& record) {
  scratch_.clear();
  encode_flux(record, scratch_);
  out_.write(scratch_.data(), scratch_.size());
  ++records_;
}

void RecordWriter::flush() { out_.flush(); }

RecordReader::RecordReader(InputStream& in, const Limits& limits) : in_(in), limits_(limits), scanner_(limits) {}

// Reads more bytes after what is buffered, first dropping consumed records
// so the buffer never holds more than one record plus one read chunk.
bool RecordReader::fill() {
  if (begin_ != 0) {
    buffer_.erase(buffer_.begin(), buffer_.begin() + static_cast<std::ptrdiff_t>(begin_));
    scanned_ -= begin_;
    stream_offset_ += begin_;
    begin_ = 0;
  }
  const std::size_t old = buffer_.size();
  buffer_.resize(old + read_chunk);
  const std::size_t n = in_.read(buffer_.data() + old, read_chunk);
  buffer_.resize(old + n);
  if (n == 0) eof_ = true;
  return n != 0;
}

std::optional<std::span<const std::uint8_t>> RecordReader::next_raw() {
  for (;;) {
    if (scanned_ < buffer_.size()) {
      const auto result = scanner_.feed({buffer_.data() + scanned_, buffer_.size() - scanned_});
      scanned_ += result.consumed;
      if (result.status == RecordScanner::Status::error) {
        const DecodeError e = scanner_.error();
        throw DecodeError(e.code(), stream_offset_ + begin_ + e.offset(), e.message());
      }
      if (result.status == RecordScanner::Status::complete) {
        const std::span<const std::uint8_t> record(buffer_.data() + begin_, scanner_.record_size());
        record_offset_ = stream_offset_ + begin_;
        begin_ += record.size();
        return record;
      }
    }
    if (eof_ || !fill()) {
      if (begin_ == buffer_.size()) return std::nullopt;  // clean end at a record boundary
      throw DecodeError(ErrorCode::truncated, stream_offset_ + buffer_.size(),
                        "stream ends inside the record that starts at byte " + std::to_string(stream_offset_ + begin_));
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
