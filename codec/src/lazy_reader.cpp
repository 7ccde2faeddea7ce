#include "crous/lazy_reader.hpp"

#include <cstring>
#include <string>

#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "flux_format.hpp"
#include "utf8.hpp"

namespace crous {

using namespace detail;

LazyReader::LazyReader(InputStream& in, const Limits& limits)
    : in_(in), buffer_(limits, RecordScanner::Mode::bare_value) {
  begin_record();
}

bool LazyReader::next_record() {
  if (read_ != declared_) throw UsageError("LazyReader::next_record() with items of the record left");
  if (buffer_.empty() && !buffer_.fill(in_)) return false;
  begin_record();
  return true;
}

void LazyReader::begin_record() {
  record_offset_ = offset();
  declared_ = read_ = 0;
  in_header_ = true;
  std::uint8_t header[flux_header_size];
  for (std::uint8_t& b : header) b = byte();
  if (!is_flux_v1_header(header))
    throw DecodeError(ErrorCode::bad_header, record_offset_, "lazy reading needs a FLUX v1 record");
  switch (flux_tag_kinds.of[byte()]) {
    case TagKind::list: kind_ = Kind::list; break;
    case TagKind::tuple: kind_ = Kind::tuple; break;
    case TagKind::dict: kind_ = Kind::dict; break;
    default:
      throw DecodeError(ErrorCode::invalid_value, record_offset_ + flux_header_size,
                        "lazy reading needs a list, tuple or dict at the top of the record");
  }
  declared_ = varint();
  in_header_ = false;
}

void LazyReader::fill() {
  if (!buffer_.fill(in_)) truncated();
}

void LazyReader::truncated() const {
  if (in_header_)
    throw DecodeError(ErrorCode::truncated, buffer_.end_offset(),
                      "stream ends inside the header of the record that starts at byte " + std::to_string(record_offset_));
  throw DecodeError(ErrorCode::truncated, buffer_.end_offset(),
                    "stream ends after " + std::to_string(read_) + " of " + std::to_string(declared_) + " items");
}

std::uint8_t LazyReader::byte() {
  while (buffer_.empty()) fill();
  const std::uint8_t b = buffer_.unconsumed()[0];
  buffer_.consume(1);
  return b;
}

std::uint64_t LazyReader::varint() {
  const std::uint64_t start = offset();
  VarintAccumulator varint;
  for (;;) {
    switch (varint.add(byte())) {
      case VarintAccumulator::Step::more: continue;
      case VarintAccumulator::Step::done: return varint.value;
      case VarintAccumulator::Step::too_long:
        throw DecodeError(ErrorCode::varint_too_long, start, "varint exceeds 64 bits");
    }
  }
}

// Frames one value with the scanner (so memory stays bounded by the limit
// even for a malicious item), then decodes just those bytes.
Value LazyReader::item() {
  std::optional<std::span<const std::uint8_t>> framed;
  while (!(framed = buffer_.next())) fill();
  Value out;
  try {
    decode_flux_value(*framed, out, buffer_.limits(), 1);
  } catch (const DecodeError& e) {
    throw DecodeError(e.code(), buffer_.record_offset() + e.offset(), e.message());
  }
  ++read_;
  return out;
}

std::optional<Value> LazyReader::next() {
  if (kind_ == Kind::dict) throw UsageError("LazyReader::next() on a dict; use next_entry()");
  if (read_ == declared_) return std::nullopt;
  return item();
}

std::optional<std::pair<std::string, Value>> LazyReader::next_entry() {
  if (kind_ != Kind::dict) throw UsageError("LazyReader::next_entry() on a list or tuple; use next()");
  if (read_ == declared_) return std::nullopt;
  const std::uint64_t start = offset();
  const std::uint64_t len = varint();
  if (len > buffer_.limits().max_record_bytes)
    throw DecodeError(ErrorCode::limit_exceeded, start, "key length " + std::to_string(len) + " over the limit");
  const std::uint64_t key_start = offset();  // after the length varint, however long it was
  std::string key;
  key.reserve(std::min<std::uint64_t>(len, RecordBuffer::read_chunk));
  while (key.size() < len) {
    while (buffer_.empty()) fill();
    const auto bytes = buffer_.unconsumed();
    const std::size_t n = std::min<std::size_t>(len - key.size(), bytes.size());
    key.append(reinterpret_cast<const char*>(bytes.data()), n);
    buffer_.consume(n);
  }
  if (buffer_.limits().validate_utf8) {
    const auto* bytes = reinterpret_cast<const std::uint8_t*>(key.data());
    const std::size_t bad = find_invalid_utf8(bytes, key.size());
    if (bad != key.size()) throw DecodeError(ErrorCode::invalid_utf8, key_start + bad, "dict key is not valid UTF-8");
  }
  Value value = item();
  return std::make_pair(std::move(key), std::move(value));
}

}  // namespace crous
