#pragma once
// Position bookkeeping and lexing primitives for CROUT text. Line and column
// are worked out only when an error is reported, so the hot path just moves
// an index.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "crous/crout.hpp"
#include "crous/error.hpp"

namespace crous::detail {

// Where text[0] sits in a longer stream (a reader drops consumed documents).
using TextOrigin = TextPosition;

// Advances `origin` over `consumed` (the text that is being dropped).
TextOrigin advance_origin(TextOrigin origin, std::string_view consumed) noexcept;

inline bool is_word_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}
inline bool is_digit(char c) noexcept { return c >= '0' && c <= '9'; }

class TextCursor {
 public:
  TextCursor(std::string_view text, std::size_t pos, TextOrigin origin) noexcept
      : text_(text), pos_(pos), origin_(origin) {}

  std::string_view text() const noexcept { return text_; }
  std::size_t pos() const noexcept { return pos_; }
  bool at_end() const noexcept { return pos_ >= text_.size(); }
  std::size_t remaining() const noexcept { return text_.size() - pos_; }
  // Only when !at_end().
  char peek() const noexcept { return text_[pos_]; }
  char next() noexcept { return text_[pos_++]; }
  void advance(std::size_t n) noexcept { pos_ += n; }
  void retreat() noexcept { --pos_; }

  // Skips spaces, tabs, CR, LF and `//` comments up to the end of their line.
  // Compact text has at most single spaces (` , `) where this is called
  // most, hence the inline path.
  void skip_space() {
    while (pos_ < text_.size() && text_[pos_] == ' ') ++pos_;
    if (pos_ < text_.size() && !may_start_space(text_[pos_])) return;
    skip_space_slow();
  }
  // Consumes `c` or fails naming `what` was expected.
  void expect(char c, std::string_view what);
  // Consumes the exact `literal` or fails.
  void expect_literal(std::string_view literal, std::string_view what);
  // A run of decimal digits as an unsigned number (a length or a tag).
  std::uint64_t read_unsigned(std::string_view what);
  // `n` raw bytes; fails as truncated when fewer remain.
  std::string_view take(std::uint64_t n, std::string_view what);
  // [A-Za-z0-9_]+ (possibly empty).
  std::string_view word() noexcept;

  // "expected <what>, found <the byte at pos>"; code truncated at end of input.
  [[noreturn]] void fail_expected(std::string_view what) const;
  [[noreturn]] void fail(ErrorCode code, std::size_t pos, std::string_view message) const;

 private:
  static bool may_start_space(char c) noexcept { return c == ' ' || c == '\t' || c == '\r' || c == '\n' || c == '/'; }
  void skip_space_slow();
  std::string found() const;

  std::string_view text_;
  std::size_t pos_;
  TextOrigin origin_;
};

}  // namespace crous::detail
