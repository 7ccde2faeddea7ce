// annotate_flux: a sink for the FLUX event walk that prints each event next
// to the bytes behind it. The record is validated by a first walk, so the
// annotator can step over each item's bytes without checking them again.
#include <algorithm>
#include <charconv>
#include <cinttypes>
#include <cstdio>
#include <cstring>
#include <string>

#include "crous/flux_annotate.hpp"
#include "crout/events.hpp"
#include "crout/flux_events.hpp"
#include "flux_format.hpp"
#include "hex.hpp"

namespace crous {

namespace {

constexpr std::size_t bytes_per_line = 8;
constexpr std::size_t max_lines_per_item = 4;  // long strings are elided after this

std::string tag_name(std::uint32_t tag) {
  switch (tag) {
    case 80: return " (datetime)";
    case 81: return " (date)";
    case 82: return " (time)";
    case 83: return " (timedelta)";
    case 84: return " (decimal)";
    case 90: return " (set)";
    case 91: return " (frozenset)";
    case 92: return " (complex)";
    default: return tag >= 100 ? " (application type)" : "";
  }
}

// Printable preview of text, quoted, cut after 40 bytes.
std::string quoted(std::string_view s) {
  std::string out = "\"";
  for (const char c : s.substr(0, 40)) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (u < 0x20 || u == 0x7F) {
      char buffer[8];
      std::snprintf(buffer, sizeof buffer, "\\x%02x", u);
      out += buffer;
    } else {
      out += c;
    }
  }
  out += s.size() > 40 ? "\"..." : "\"";
  return out;
}

class Annotator {
 public:
  Annotator(ByteView record, std::uint64_t base) : record_(record), base_(base), legacy_(record[0] == 'C') {}

  void header() {
    meaning_ = legacy_ ? "header CROU v2 (legacy), flags 0x" : "header FLUX v1, flags 0x";
    meaning_ += detail::hex_byte(record_[5]);
    print_item(flux_header_size);
  }

  void null_value() { scalar("null", 1); }
  void boolean(bool b) { scalar(b ? "true" : "false", 1); }
  // Ints are one byte (legacy small-int tags), tag + 8 bytes (legacy), or
  // tag + varint.
  void integer(std::int64_t n) {
    const std::uint8_t tag = record_[pos_];
    const bool small = tag >= detail::small_int_first && tag <= detail::small_int_last;
    scalar("int " + std::to_string(n), small ? 1 : legacy_ ? 9 : varint_end(pos_ + 1) - pos_);
  }
  void floating(double d) {
    char buffer[32];
    scalar("float " + std::string(buffer, std::to_chars(buffer, buffer + sizeof buffer, d).ptr), 9);
  }
  void string(std::string_view s) { scalar("string " + quoted(s) + " (" + plural(s.size(), "byte", "bytes") + ")", sized(pos_ + 1, s.size())); }
  void bytes(std::span<const std::uint8_t> b) { scalar("bytes, " + plural(b.size(), "octet", "octets"), sized(pos_ + 1, b.size())); }
  void begin_list() { open("list", "item", "items"); }
  void begin_tuple() { open("tuple", "item", "items"); }
  void begin_dict() { open("dict", "entry", "entries"); }
  void begin_tagged(std::uint32_t tag) {
    meaning_ = "tagged " + std::to_string(tag) + tag_name(tag);
    print_item(varint_end(pos_ + 1) - pos_);
    ++depth_;
  }
  // FLUX keys have no tag byte; legacy keys are whole string values.
  void key(std::string_view k) {
    meaning_ = "key " + quoted(k);
    const std::size_t length_at = legacy_ ? pos_ + 1 : pos_;
    print_item(sized(length_at, k.size()));
  }
  void end() { --depth_; }

  std::string take() { return std::move(out_); }

 private:
  static std::string plural(std::uint64_t n, const char* one, const char* many) { return std::to_string(n) + " " + (n == 1 ? one : many); }

  void scalar(std::string meaning, std::size_t size) {
    meaning_ = std::move(meaning);
    print_item(size);
  }

  // A container's count is the varint after its tag byte.
  void open(const char* kind, const char* one, const char* many) {
    const detail::VarintRead count = varint_at(pos_ + 1);
    meaning_ = std::string(kind) + ", " + plural(count.value, one, many);
    print_item(offset_of(count.next) - pos_);
    ++depth_;
  }

  // Size of an item whose varint length starts at `length_at` and is
  // followed by `payload` bytes.
  std::size_t sized(std::size_t length_at, std::size_t payload) const { return varint_end(length_at) + payload - pos_; }
  std::size_t varint_end(std::size_t at) const { return offset_of(varint_at(at).next); }
  // The walk before has validated the record: every varint is complete.
  detail::VarintRead varint_at(std::size_t at) const {
    return detail::read_varint(record_.data() + at, record_.data() + record_.size());
  }
  std::size_t offset_of(const std::uint8_t* p) const { return static_cast<std::size_t>(p - record_.data()); }

  // Prints the next `size` bytes with the pending meaning, eliding the
  // middle of long values.
  void print_item(std::size_t size) {
    const std::size_t begin = pos_;
    const std::size_t end = pos_ + size;
    const std::size_t lines = (size + bytes_per_line - 1) / bytes_per_line;
    for (std::size_t line = 0; line < std::max<std::size_t>(lines, 1); ++line) {
      if (line == max_lines_per_item - 1 && lines > max_lines_per_item) {
        out_ += std::string(10, ' ') + "... " + std::to_string(size - line * bytes_per_line) + " more bytes\n";
        break;
      }
      print_line(begin + line * bytes_per_line, std::min(end, begin + (line + 1) * bytes_per_line), line == 0);
    }
    pos_ = end;
  }

  void print_line(std::size_t begin, std::size_t end, bool first) {
    char offset[32];
    std::snprintf(offset, sizeof offset, "%08" PRIx64 "  ", base_ + begin);
    std::string hex_column;
    for (std::size_t i = begin; i < end; ++i) hex_column += detail::hex_byte(record_[i]) + " ";
    hex_column.resize(bytes_per_line * 3 + 1, ' ');
    out_ += offset + hex_column;
    if (first) out_ += std::string(2 * depth_, ' ') + meaning_;
    while (!out_.empty() && out_.back() == ' ') out_.pop_back();
    out_ += '\n';
  }

  ByteView record_;
  std::uint64_t base_;
  bool legacy_;
  std::size_t pos_ = 0;  // start of the next item's bytes
  std::size_t depth_ = 0;
  std::string meaning_;
  std::string out_;
};

}  // namespace

std::string annotate_flux(ByteView record, std::uint64_t base_offset, const Limits& limits) {
  detail::IgnoreEvents check;
  const std::size_t size = detail::walk_flux_record(record, limits, check);
  if (size != record.size()) throw DecodeError(ErrorCode::trailing_bytes, size, std::to_string(record.size() - size) + " bytes after the record");
  Annotator annotator(record, base_offset);
  annotator.header();
  detail::walk_flux_record(record, limits, annotator);
  return annotator.take();
}

}  // namespace crous
