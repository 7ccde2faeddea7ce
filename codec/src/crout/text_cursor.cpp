#include "crout/text_cursor.hpp"

#include <algorithm>
#include <charconv>
#include <cstring>

namespace crous::detail {

TextOrigin advance_origin(TextOrigin origin, std::string_view consumed) noexcept {
  origin.offset += consumed.size();
  const auto last_newline = consumed.rfind('\n');
  if (last_newline == std::string_view::npos) {
    origin.column += consumed.size();
  } else {
    origin.line += static_cast<std::uint64_t>(std::count(consumed.begin(), consumed.end(), '\n'));
    origin.column = consumed.size() - last_newline;
  }
  return origin;
}

void TextCursor::skip_space_slow() {
  while (pos_ < text_.size()) {
    const char c = text_[pos_];
    if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
      ++pos_;
    } else if (c == '/') {
      if (pos_ + 1 >= text_.size()) {
        ++pos_;  // a lone '/' at the end: report it as a cut-off comment
        fail(ErrorCode::truncated, pos_ - 1, "expected '//' comment, found end of input");
      }
      if (text_[pos_ + 1] != '/') fail(ErrorCode::syntax, pos_, "expected '//' comment, found a single '/'");
      const auto newline = text_.find('\n', pos_ + 2);
      pos_ = newline == std::string_view::npos ? text_.size() : newline + 1;
    } else {
      return;
    }
  }
}

void TextCursor::expect(char c, std::string_view what) {
  if (at_end() || text_[pos_] != c) fail_expected(what);
  ++pos_;
}

void TextCursor::expect_literal(std::string_view literal, std::string_view what) {
  const std::string_view rest = text_.substr(pos_, literal.size());
  if (rest != literal) {
    if (literal.starts_with(rest)) fail(ErrorCode::truncated, text_.size(), std::string("expected ") + std::string(what) + ", found end of input");
    fail_expected(what);
  }
  pos_ += literal.size();
}

std::uint64_t TextCursor::read_unsigned(std::string_view what) {
  std::uint64_t n = 0;
  const char* first = text_.data() + pos_;
  const char* last = text_.data() + text_.size();
  const auto [end, ec] = std::from_chars(first, last, n);
  if (end == first) fail_expected(what);
  if (ec == std::errc::result_out_of_range) fail(ErrorCode::invalid_value, pos_, std::string(what) + " is out of range");
  pos_ += static_cast<std::size_t>(end - first);
  return n;
}

std::string_view TextCursor::take(std::uint64_t n, std::string_view what) {
  if (n > remaining()) {
    fail(ErrorCode::truncated, text_.size(),
         std::string(what) + " declares " + std::to_string(n) + " bytes but only " + std::to_string(remaining()) +
             " remain");
  }
  const std::string_view out = text_.substr(pos_, static_cast<std::size_t>(n));
  pos_ += static_cast<std::size_t>(n);
  return out;
}

std::string_view TextCursor::word() noexcept {
  const std::size_t begin = pos_;
  while (pos_ < text_.size() && is_word_char(text_[pos_])) ++pos_;
  return text_.substr(begin, pos_ - begin);
}

std::string TextCursor::found() const {
  if (at_end()) return "end of input";
  const auto c = static_cast<unsigned char>(text_[pos_]);
  if (c >= 0x21 && c < 0x7F) return std::string("'") + static_cast<char>(c) + "'";
  if (c == ' ') return "a space";
  if (c == '\n') return "a newline";
  static constexpr char digits[] = "0123456789abcdef";
  return std::string("byte 0x") + digits[c >> 4] + digits[c & 15];
}

void TextCursor::fail_expected(std::string_view what) const {
  fail(at_end() ? ErrorCode::truncated : ErrorCode::syntax, pos_, std::string("expected ") + std::string(what) + ", found " + found());
}

void TextCursor::fail(ErrorCode code, std::size_t pos, std::string_view message) const {
  const TextOrigin at = advance_origin(origin_, text_.substr(0, std::min(pos, text_.size())));
  throw DecodeError(code, static_cast<std::size_t>(at.offset),
                    "line " + std::to_string(at.line) + ", column " + std::to_string(at.column) + ": " + std::string(message));
}

}  // namespace crous::detail
