#pragma once
// Finds where a CROUT document arriving piece by piece can end, looking at
// each byte once, so CroutReader parses a document only when it may be
// whole instead of after every read (which is quadratic for a document that
// trickles in a few bytes per read).
//
// It follows the structure only (header, token lines, brackets, separators,
// keys, length-prefixed strings and bytes, numbers, comments) and checks
// nothing the parser checks. Whatever it does not expect makes it report
// `ready` at once: the parser then gives the real error. The one promise is
// the other way round: while it says `need_more`, parsing what has arrived
// would end in ErrorCode::truncated, or in an answer that more bytes could
// change (a number, length or tag whose digits reach the end), so reading
// more first loses nothing. Everything it decides depends on the bytes
// alone, never on where the reads cut them, so neither does the reader's
// result.
//
// It also says `too_long` once it has gone past Limits::max_record_bytes
// bytes of a document that has not ended. It moves at most one byte past the
// limit, whatever the reads, so the verdict (and so the reader's error)
// depends on the text alone, not on how it was chunked.
#include <cstddef>
#include <cstdint>
#include <string_view>
#include <vector>

#include "crous/limits.hpp"

namespace crous::detail {

class CroutFramer {
 public:
  enum class Verdict : std::uint8_t { need_more, ready, too_long };

  explicit CroutFramer(const Limits& limits) noexcept : limits_(limits) {}

  // The next byte scanned is the first after the previous document.
  void restart(std::size_t at) noexcept;
  // Scans text[position()..) and stops at the first place the document may
  // end (or go wrong); `text` is the reader's whole buffer.
  Verdict scan(std::string_view text);
  // The reader dropped the first `dropped` bytes of its buffer.
  void shift(std::size_t dropped) noexcept;

  std::size_t position() const noexcept { return pos_; }
  // Before the document's first byte: everything before this is whitespace
  // or whole comments and may be dropped. Otherwise the document's start.
  std::size_t skippable_end() const noexcept { return skippable_end_; }

 private:
  // The states up to after_value take whitespace and comments before their
  // token (skips_space); the order lets that be one comparison.
  enum class State : std::uint8_t {
    before_document,  // whitespace and comments, then "CROUT1"
    before_root,      // whitespace, token lines ('@') or the root value
    value,            // whitespace, then a value
    key,              // whitespace, then a dict key
    after_key,        // whitespace, then ':'
    after_tag,        // whitespace, then ':'
    after_open,       // whitespace, then the closer or the first item
    after_value,      // whitespace, then ',' or the closer
    header,           // inside "CROUT1"
    header_end,       // '\r'? '\n'
    header_lf,        // '\n' after '\r'
    token_line,       // up to and including '\n'
    key_s,            // 's' in key position: a length follows if a digit does
    key_word,         // a bare-word key
    number,           // characters of an i/f number
    length_first,     // first digit of an s/b length
    length,           // more digits, then ':'
    raw,              // raw bytes of a string, hex digits of bytes
    tag_first,        // first digit of a tag number
    tag,              // more digits, then whitespace and ':'
    done,
  };
  enum class Space : std::uint8_t { none, slash, comment };

  enum class Skip : std::uint8_t { space, token, error };

  static bool skips_space(State state) noexcept { return state <= State::after_value; }
  Skip skip_space(char c);        // whitespace and `//` comments
  Verdict value_done();           // a value ended just before pos_
  Verdict open(char closer);      // 0 for a tagged value, which has no closer
  Verdict raw_done();             // the last raw byte of a string or bytes value was passed
  bool past_limit() const noexcept;  // more than max_record_bytes of the document scanned
  void add_digit(char c) noexcept;   // to number_

  Limits limits_;  // a copy: the reader that owns the framer may move
  State state_ = State::before_document;
  Space space_ = Space::none;
  bool raw_is_string_ = false;  // else bytes: two hex digits per byte
  bool raw_is_key_ = false;     // the string is a dict key, a ':' follows
  std::size_t pos_ = 0;
  std::size_t skippable_end_ = 0;
  std::size_t matched_ = 0;   // of "CROUT1"
  std::uint64_t number_ = 0;  // length or tag being read
  std::uint64_t raw_left_ = 0;
  std::vector<char> closers_;  // one per open container; 0 for a tagged value
};

}  // namespace crous::detail
