#pragma once
// CROUT text -> events. Iterative (an explicit stack, not recursion), so
// Limits::max_depth alone bounds nesting, whatever the C++ stack size.
// Nothing is allocated from a declared length before the bytes are seen
// to be there.
#include <charconv>
#include <cstdint>
#include <limits>
#include <string>
#include <string_view>
#include <vector>

#include "crous/limits.hpp"
#include "crout/events.hpp"
#include "crout/text_cursor.hpp"
#include "crout/token_map.hpp"
#include "flux_parser.hpp"  // all_ascii
#include "hex.hpp"
#include "utf8.hpp"

namespace crous::detail {

template <EventSink Sink>
class CroutParser {
 public:
  // `complete`: nothing follows `text`. A stream reader that may still
  // receive more passes false, so a number cut off at the end of what has
  // arrived is reported as truncated (read more) rather than malformed.
  CroutParser(std::string_view text, std::size_t start, const Limits& limits, Sink& sink, TextOrigin origin = {},
              bool complete = true)
      : cursor_(text, start, origin), limits_(limits), sink_(sink), complete_(complete) {}

  // Reads "CROUT1", the token lines and one root value (leading whitespace
  // and comments allowed); returns the position just after the root value.
  std::size_t parse_document() {
    cursor_.skip_space();
    start_ = cursor_.pos();
    cursor_.expect_literal("CROUT1", "'CROUT1' document header");
    read_header_end();
    read_token_lines();
    root_start_ = cursor_.pos();
    read_root();
    check_document_size(cursor_.pos());
    return cursor_.pos();
  }

  // The root is a number, so more digits on a stream could still extend it.
  bool root_is_number() const noexcept {
    const char c = cursor_.text()[root_start_];
    return c == 'i' || c == 'f';
  }

  // Fails unless only whitespace and comments follow the document.
  void expect_end() {
    cursor_.skip_space();
    if (!cursor_.at_end()) {
      cursor_.fail(ErrorCode::trailing_bytes, cursor_.pos(), "expected end of input after the document's root value");
    }
  }

 private:
  enum class Frame : std::uint8_t { list, tuple, dict, tagged };

  void read_header_end() {
    if (!cursor_.at_end() && cursor_.peek() == '\r') cursor_.advance(1);
    cursor_.expect('\n', "a newline after 'CROUT1'");
  }

  void read_token_lines() {
    for (;;) {
      cursor_.skip_space();
      if (cursor_.at_end() || cursor_.peek() != '@') return;
      cursor_.advance(1);
      read_token_line();
    }
  }

  // "@ <token>=<key>\n": the key is every byte up to the newline.
  void read_token_line() {
    while (!cursor_.at_end() && (cursor_.peek() == ' ' || cursor_.peek() == '\t')) cursor_.advance(1);
    const std::string_view token = cursor_.word();
    if (token.empty()) cursor_.fail_expected("a token name ([A-Za-z0-9_]+) after '@'");
    cursor_.expect('=', "'=' after the token name");
    const std::string_view rest = cursor_.text().substr(cursor_.pos());
    const auto newline = rest.find('\n');
    if (newline == std::string_view::npos)
      cursor_.fail(ErrorCode::truncated, cursor_.text().size(),
                   "expected a newline ending the token line, found end of input");
    const std::string_view key = rest.substr(0, newline);
    check_utf8(key, "token key");
    tokens_.define(token, key);
    cursor_.advance(newline + 1);
  }

  void read_root() {
    for (;;) {
      cursor_.skip_space();
      if (!stack_.empty() && stack_.back() == Frame::dict) read_key();
      if (read_value_start() && !close_if_empty()) continue;
      if (!finish_values()) return;
    }
  }

  // After a container was opened: true if it closed at once (`[]`, `{}`).
  bool close_if_empty() {
    if (stack_.back() == Frame::tagged) return false;
    cursor_.skip_space();
    if (cursor_.at_end() || cursor_.peek() != closer(stack_.back())) return false;
    cursor_.advance(1);
    close();
    return true;
  }

  // After a complete value: consumes separators and closers. True when
  // another item follows; false when the root value is complete.
  bool finish_values() {
    while (!stack_.empty()) {
      if (stack_.back() == Frame::tagged) {
        close();
        continue;
      }
      cursor_.skip_space();
      if (cursor_.at_end()) cursor_.fail_expected(separator_name());
      const char c = cursor_.peek();
      if (c == ',') {
        cursor_.advance(1);
        return true;
      }
      if (c != closer(stack_.back())) cursor_.fail_expected(separator_name());
      cursor_.advance(1);
      close();
    }
    return false;
  }

  // Returns true when it opened a container (items or its closer come next).
  bool read_value_start() {
    if (cursor_.at_end()) cursor_.fail_expected("a value");
    switch (cursor_.next()) {
      case 'N': sink_.null_value(); return false;
      case 'T': sink_.boolean(true); return false;
      case 'F': sink_.boolean(false); return false;
      case 'i': read_int(); return false;
      case 'f': read_float(); return false;
      case 's': sink_.string(read_string("a string length after 's'")); return false;
      case 'b': read_bytes(); return false;
      case '[':
        open(Frame::list, cursor_.pos() - 1);
        sink_.begin_list();
        return true;
      case '(':
        open(Frame::tuple, cursor_.pos() - 1);
        sink_.begin_tuple();
        return true;
      case '{':
        open(Frame::dict, cursor_.pos() - 1);
        sink_.begin_dict();
        return true;
      case '#': read_tag(); return true;
      default:
        cursor_.retreat();  // point at the offending byte
        cursor_.fail_expected("a value (N, T, F, i, f, s, b, '[', '(', '{' or '#')");
    }
  }

  void read_key() {
    if (cursor_.at_end()) cursor_.fail_expected("a dict key");
    const char c = cursor_.peek();
    if (c == 's' && cursor_.remaining() > 1 && is_digit(cursor_.text()[cursor_.pos() + 1])) {
      cursor_.advance(1);
      sink_.key(read_string("a key length after 's'"));
    } else {
      sink_.key(read_word_key());
    }
    cursor_.skip_space();
    cursor_.expect(':', "':' after a dict key");
    cursor_.skip_space();
  }

  std::string_view read_word_key() {
    const std::size_t at = cursor_.pos();
    const std::string_view word = cursor_.word();
    if (word.empty()) cursor_.fail_expected("a dict key (s<len>:<bytes>, a token or a bare word)");
    const std::string* key = tokens_.find(word);
    if (key == nullptr) return word;
    // Tokens expand: bound what they expand to, like the text itself.
    expanded_ += key->size();
    if (expanded_ > limits_.max_record_bytes) {
      cursor_.fail(ErrorCode::limit_exceeded, at,
                   "keys expanded from tokens exceed the record limit of " + std::to_string(limits_.max_record_bytes) +
                       " bytes");
    }
    return *key;
  }

  std::string_view read_string(std::string_view what) {
    const std::uint64_t size = read_length(what);
    const std::string_view bytes = cursor_.take(size, "string");
    check_utf8(bytes, "string");
    return bytes;
  }

  void read_bytes() {
    const std::uint64_t size = read_length("a byte count after 'b'");
    if (size > cursor_.remaining() / 2) {
      cursor_.fail(ErrorCode::truncated, cursor_.text().size(),
                   "bytes value declares " + std::to_string(size) + " bytes (" + std::to_string(size * 2) +
                       " hex digits) but only " + std::to_string(cursor_.remaining()) + " characters remain");
    }
    scratch_.resize(static_cast<std::size_t>(size));
    const char* hex = cursor_.text().data() + cursor_.pos();
    for (std::size_t i = 0; i < scratch_.size(); ++i) {
      const int high = hex_value(hex[2 * i]);
      const int low = hex_value(hex[2 * i + 1]);
      if ((high | low) < 0) {
        cursor_.advance(2 * i + (high < 0 ? 0 : 1));
        cursor_.fail_expected("a hex digit");
      }
      scratch_[i] = static_cast<std::uint8_t>(high << 4 | low);
    }
    cursor_.advance(scratch_.size() * 2);
    sink_.bytes(scratch_);
  }

  // "<digits>:" of a string or bytes value.
  std::uint64_t read_length(std::string_view what) {
    const std::size_t at = cursor_.pos();
    const std::uint64_t size = cursor_.read_unsigned(what);
    if (size > limits_.max_record_bytes) {
      cursor_.fail(ErrorCode::limit_exceeded, at,
                   "declared length " + std::to_string(size) + " exceeds the record limit of " +
                       std::to_string(limits_.max_record_bytes) + " bytes");
    }
    cursor_.expect(':', "':' after the length");
    return size;
  }

  void read_int() {
    const std::string_view token = number_token();
    std::int64_t n = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), n);
    if (end != token.data() + token.size() || token.empty()) bad_number(token, "an integer after 'i'");
    if (ec == std::errc::result_out_of_range)
      cursor_.fail(ErrorCode::invalid_value, cursor_.pos(), "integer does not fit in 64 bits");
    cursor_.advance(token.size());
    sink_.integer(n);
  }

  void read_float() {
    const std::string_view token = number_token();
    double d = 0;
    const auto [end, ec] = std::from_chars(token.data(), token.data() + token.size(), d);
    // Out of range (beyond the largest double, or below the smallest
    // denormal) is refused rather than silently rounded to inf or 0.
    if (end != token.data() + token.size() || ec != std::errc{} || token.empty())
      bad_number(token, "a number, inf, -inf or nan after 'f'");
    cursor_.advance(token.size());
    sink_.floating(d);
  }

  // The characters a number could be made of, starting at the cursor.
  std::string_view number_token() const noexcept {
    const std::string_view text = cursor_.text();
    std::size_t end = cursor_.pos();
    while (end < text.size() && (is_word_char(text[end]) || text[end] == '.' || text[end] == '+' || text[end] == '-'))
      ++end;
    return text.substr(cursor_.pos(), end - cursor_.pos());
  }

  [[noreturn]] void bad_number(std::string_view token, std::string_view expected) const {
    if (!complete_ && token.data() + token.size() == cursor_.text().data() + cursor_.text().size()) {
      cursor_.fail(ErrorCode::truncated, cursor_.text().size(),
                   "expected " + std::string(expected) + ", found end of input");
    }
    cursor_.fail_expected(expected);
  }

  void read_tag() {
    const std::size_t at = cursor_.pos();
    const std::uint64_t tag = cursor_.read_unsigned("a tag number after '#'");
    if (tag > std::numeric_limits<std::uint32_t>::max())
      cursor_.fail(ErrorCode::invalid_value, at, "tag " + std::to_string(tag) + " does not fit in 32 bits");
    cursor_.skip_space();
    cursor_.expect(':', "':' after the tag number");
    open(Frame::tagged, at - 1);
    sink_.begin_tagged(static_cast<std::uint32_t>(tag));
  }

  void open(Frame frame, std::size_t at) {
    if (stack_.size() >= limits_.max_depth) {
      cursor_.fail(ErrorCode::depth_exceeded, at,
                   "nesting deeper than the limit of " + std::to_string(limits_.max_depth));
    }
    stack_.push_back(frame);
  }

  void close() {
    stack_.pop_back();
    sink_.end();
  }

  void check_utf8(std::string_view bytes, std::string_view what) const {
    if (!limits_.validate_utf8) return;
    if (all_ascii(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size())) [[likely]]
      return;
    check_non_ascii_utf8(bytes, what);
  }

  __attribute__((noinline)) void check_non_ascii_utf8(std::string_view bytes, std::string_view what) const {
    const auto* data = reinterpret_cast<const std::uint8_t*>(bytes.data());
    const std::size_t bad = find_invalid_utf8(data, bytes.size());
    if (bad != bytes.size()) {
      const auto at = static_cast<std::size_t>(bytes.data() - cursor_.text().data()) + bad;
      cursor_.fail(ErrorCode::invalid_utf8, at, "invalid UTF-8 in a " + std::string(what));
    }
  }

  void check_document_size(std::size_t end) const {
    if (end - start_ > limits_.max_record_bytes) {
      cursor_.fail(ErrorCode::limit_exceeded, start_,
                   "document of " + std::to_string(end - start_) + " bytes exceeds the record limit of " +
                       std::to_string(limits_.max_record_bytes) + " bytes");
    }
  }

  static char closer(Frame frame) noexcept { return frame == Frame::list ? ']' : frame == Frame::tuple ? ')' : '}'; }
  std::string_view separator_name() const noexcept {
    switch (stack_.back()) {
      case Frame::list: return "',' or ']' after a list item";
      case Frame::tuple: return "',' or ')' after a tuple item";
      default: return "',' or '}' after a dict entry";
    }
  }

  TextCursor cursor_;
  const Limits& limits_;
  Sink& sink_;
  TokenMap tokens_;
  std::vector<Frame> stack_;
  std::vector<std::uint8_t> scratch_;  // decoded hex of the current bytes value
  std::size_t start_ = 0;
  std::size_t root_start_ = 0;
  std::uint64_t expanded_ = 0;
  bool complete_;
};

}  // namespace crous::detail
