#include "crout/crout_writer.hpp"

#include <charconv>
#include <cmath>

#include "crous/stream.hpp"
#include "hex.hpp"
#include "crout/text_cursor.hpp"

namespace crous::detail {

namespace {
constexpr std::size_t drain_threshold = 64 * 1024;
}

CroutWriter::CroutWriter(std::string& out, CroutStyle style, const TokenTable& tokens, OutputStream* drain)
    : out_(out), style_(style), tokens_(tokens), drain_(drain) {}

void CroutWriter::begin_document() {
  out_ += "CROUT1\n";
  tokens_.write_lines(out_);
}

void CroutWriter::finish() {
  if (drain_ != nullptr && !out_.empty()) {
    drain_->write(reinterpret_cast<const std::uint8_t*>(out_.data()), out_.size());
    out_.clear();
  }
}

void CroutWriter::null_value() {
  before_value();
  out_ += 'N';
}

void CroutWriter::boolean(bool b) {
  before_value();
  out_ += b ? 'T' : 'F';
}

void CroutWriter::integer(std::int64_t n) {
  before_value();
  out_ += 'i';
  put_number(n);
}

// std::to_chars gives the shortest text that reads back to the same double
// (and "-0" for -0.0), but how it spells NaN and the infinities is up to the
// standard library: libc++ writes "nan(snan)" or "-nan(ind)", which no CROUT
// reader accepts. So the specials are written here. Every NaN becomes "nan"
// (CROUT has one NaN; its sign and payload are not kept).
void CroutWriter::floating(double d) {
  before_value();
  if (std::isnan(d)) {
    out_ += "fnan";
  } else if (std::isinf(d)) {
    out_ += d < 0 ? "f-inf" : "finf";
  } else {
    out_ += 'f';
    put_number(d);
  }
}

void CroutWriter::string(std::string_view s) {
  before_value();
  put_length_prefixed('s', s);
  maybe_drain();
}

void CroutWriter::bytes(std::span<const std::uint8_t> b) {
  before_value();
  out_ += 'b';
  put_number(b.size());
  out_ += ':';
  const std::size_t at = out_.size();
  out_.resize(at + 2 * b.size());
  char* p = out_.data() + at;
  for (const std::uint8_t byte : b) {
    *p++ = hex_digits[byte >> 4];
    *p++ = hex_digits[byte & 15];
  }
  maybe_drain();
}

void CroutWriter::begin_list() { open('[', ']'); }
void CroutWriter::begin_tuple() { open('(', ')'); }
void CroutWriter::begin_dict() { open('{', '}'); }

void CroutWriter::begin_tagged(std::uint32_t tag) {
  before_value();
  out_ += '#';
  put_number(tag);
  out_ += ':';
  stack_.push_back({0, false});
  after_prefix_ = true;
}

void CroutWriter::key(std::string_view k) {
  separate(stack_.back());
  const char token = tokens_.find(k);
  if (token != 0) {
    out_ += token;
  } else if (is_bare_word(k)) {
    out_ += k;
  } else {
    put_length_prefixed('s', k);
  }
  out_ += ':';
  if (style_ == CroutStyle::pretty) out_ += ' ';
  after_prefix_ = true;
}

void CroutWriter::end() {
  const Open open = stack_.back();
  stack_.pop_back();
  if (open.closer == 0) return;
  --level_;
  if (style_ == CroutStyle::pretty && open.has_items) put_newline_indent();
  out_ += open.closer;
  maybe_drain();
}

void CroutWriter::before_value() {
  if (after_prefix_) {
    after_prefix_ = false;
  } else if (!stack_.empty()) {
    separate(stack_.back());
  }
}

void CroutWriter::separate(Open& open) {
  if (style_ == CroutStyle::pretty) {
    if (open.has_items) out_ += ',';
    put_newline_indent();
  } else if (open.has_items) {
    out_ += " , ";
  }
  open.has_items = true;
}

void CroutWriter::open(char opener, char closer) {
  before_value();
  out_ += opener;
  stack_.push_back({closer, false});
  ++level_;
}

void CroutWriter::put_length_prefixed(char prefix, std::string_view s) {
  out_ += prefix;
  put_number(s.size());
  out_ += ':';
  out_ += s;
}

template <class T>
void CroutWriter::put_number(T n) {
  char buffer[32];
  const auto result = std::to_chars(buffer, buffer + sizeof buffer, n);
  out_.append(buffer, result.ptr);
}

void CroutWriter::put_newline_indent() {
  out_ += '\n';
  out_.append(2 * level_, ' ');
}

// Pretty output writes plain keys without their length; the compact form
// keeps the original's `s<len>:` spelling so it stays byte-identical.
bool CroutWriter::is_bare_word(std::string_view k) const noexcept {
  if (style_ != CroutStyle::pretty || k.empty()) return false;
  // `s` + digit would read back as a length-prefixed string.
  if (k[0] == 's' && k.size() > 1 && is_digit(k[1])) return false;
  for (const char c : k) {
    if (!is_word_char(c)) return false;
  }
  return true;
}

void CroutWriter::maybe_drain() {
  if (out_.size() >= drain_threshold) finish();
}

}  // namespace crous::detail
