#include "crout/crout_framer.hpp"

#include <algorithm>
#include <limits>

#include "crout/text_cursor.hpp"

namespace crous::detail {

namespace {

constexpr std::string_view header_text = "CROUT1";

// The characters CroutParser::number_token() takes into a number.
bool is_number_char(char c) noexcept { return is_word_char(c) || c == '.' || c == '+' || c == '-'; }

}  // namespace

void CroutFramer::restart(std::size_t at) noexcept {
  state_ = State::before_document;
  space_ = Space::none;
  pos_ = at;
  skippable_end_ = at;
  closers_.clear();
}

void CroutFramer::shift(std::size_t dropped) noexcept {
  // While the reader does not trust it, the framer is idle and the reader
  // may drop past it; restart() sets it right before it is used again.
  pos_ -= std::min(pos_, dropped);
  skippable_end_ -= std::min(skippable_end_, dropped);
}

CroutFramer::Skip CroutFramer::skip_space(char c) {
  switch (space_) {
    case Space::comment:
      if (c == '\n') space_ = Space::none;
      return Skip::space;
    case Space::slash:
      if (c != '/') return Skip::error;
      space_ = Space::comment;
      return Skip::space;
    case Space::none: break;
  }
  if (c == ' ' || c == '\t' || c == '\r' || c == '\n') return Skip::space;
  if (c == '/') {
    space_ = Space::slash;
    return Skip::space;
  }
  return Skip::token;
}

CroutFramer::Verdict CroutFramer::scan(std::string_view text) {
  while (state_ != State::done && pos_ < text.size()) {
    if (past_limit()) return Verdict::too_long;
    const char c = text[pos_];
    if (skips_space(state_)) {
      const Skip skip = skip_space(c);
      if (skip == Skip::error) return Verdict::ready;
      if (skip == Skip::space) {
        ++pos_;
        // Whitespace and whole comments before the document may be dropped.
        if (state_ == State::before_document && space_ == Space::none) skippable_end_ = pos_;
        continue;
      }
    }
    switch (state_) {
      case State::before_document:
        state_ = State::header;
        matched_ = 0;
        continue;
      case State::header:
        if (c != header_text[matched_]) return Verdict::ready;
        ++pos_;
        if (++matched_ == header_text.size()) state_ = State::header_end;
        continue;
      case State::header_end:
        if (c != '\r' && c != '\n') return Verdict::ready;
        ++pos_;
        state_ = c == '\r' ? State::header_lf : State::before_root;
        continue;
      case State::header_lf:
        if (c != '\n') return Verdict::ready;
        ++pos_;
        state_ = State::before_root;
        continue;
      case State::before_root:
        if (c == '@') {
          ++pos_;
          state_ = State::token_line;
        } else {
          state_ = State::value;
        }
        continue;
      case State::token_line: {
        // The key is every byte up to the newline.
        const auto newline = text.find('\n', pos_);
        if (newline == std::string_view::npos) {
          pos_ = text.size();
          continue;
        }
        pos_ = newline + 1;
        state_ = State::before_root;
        continue;
      }
      case State::value:
        ++pos_;
        switch (c) {
          case 'N':
          case 'T':
          case 'F':
            if (value_done() == Verdict::ready) return Verdict::ready;
            continue;
          case 'i':
          case 'f': state_ = State::number; continue;
          case 's':
          case 'b':
            raw_is_string_ = c == 's';
            raw_is_key_ = false;
            number_ = 0;
            state_ = State::length_first;
            continue;
          case '[':
          case '(':
          case '{':
            if (open(c == '[' ? ']' : c == '(' ? ')' : '}') == Verdict::ready) return Verdict::ready;
            continue;
          case '#':
            number_ = 0;
            state_ = State::tag_first;
            continue;
          default: return Verdict::ready;
        }
      case State::key:
        if (!is_word_char(c)) return Verdict::ready;
        ++pos_;
        state_ = c == 's' ? State::key_s : State::key_word;
        continue;
      case State::key_s:
        // Like the parser: `s` + digit starts a length-prefixed key.
        if (is_digit(c)) {
          raw_is_string_ = true;
          raw_is_key_ = true;
          number_ = 0;
          state_ = State::length_first;
        } else {
          state_ = State::key_word;
        }
        continue;
      case State::key_word:
        if (is_word_char(c)) {
          ++pos_;
        } else {
          state_ = State::after_key;
        }
        continue;
      case State::after_key:
        if (c != ':') return Verdict::ready;
        ++pos_;
        state_ = State::value;
        continue;
      case State::number:
        if (is_number_char(c)) {
          ++pos_;
          continue;
        }
        // The number ended at the byte before; `c` is for the next state.
        if (value_done() == Verdict::ready) return Verdict::ready;
        continue;
      case State::length_first:
      case State::tag_first:
        if (!is_digit(c)) return Verdict::ready;
        state_ = state_ == State::length_first ? State::length : State::tag;
        continue;
      case State::length:
        if (is_digit(c)) {
          add_digit(c);
          ++pos_;
          continue;
        }
        // Only once the digits end: the parser's error for a length too
        // big (limit_exceeded, or invalid_value past 64 bits) depends on
        // all of them.
        if (c != ':' || number_ > limits_.max_record_bytes) return Verdict::ready;
        ++pos_;
        raw_left_ = raw_is_string_ ? number_ : 2 * number_;
        state_ = State::raw;
        if (raw_left_ == 0 && raw_done() == Verdict::ready) return Verdict::ready;
        continue;
      case State::raw: {
        // Stop one byte past the limit at most, as the byte-by-byte states do.
        const std::size_t limit_end = skippable_end_ + limits_.max_record_bytes + 1;
        const std::size_t n = static_cast<std::size_t>(std::min<std::uint64_t>({raw_left_, text.size() - pos_, limit_end - pos_}));
        pos_ += n;
        raw_left_ -= n;
        if (raw_left_ == 0 && raw_done() == Verdict::ready) return Verdict::ready;
        continue;
      }
      case State::tag:
        if (is_digit(c)) {
          add_digit(c);
          ++pos_;
        } else if (number_ > std::numeric_limits<std::uint32_t>::max()) {
          return Verdict::ready;
        } else {
          state_ = State::after_tag;
        }
        continue;
      case State::after_tag:
        if (c != ':') return Verdict::ready;
        ++pos_;
        if (open(0) == Verdict::ready) return Verdict::ready;
        continue;
      case State::after_open:
        if (c == closers_.back()) {
          ++pos_;
          closers_.pop_back();
          if (value_done() == Verdict::ready) return Verdict::ready;
        } else {
          state_ = closers_.back() == '}' ? State::key : State::value;
        }
        continue;
      case State::after_value:
        ++pos_;
        if (c == ',') {
          state_ = closers_.back() == '}' ? State::key : State::value;
          continue;
        }
        if (c != closers_.back()) return Verdict::ready;
        closers_.pop_back();
        if (value_done() == Verdict::ready) return Verdict::ready;
        continue;
      case State::done: break;
    }
  }
  if (state_ == State::done) return Verdict::ready;
  return past_limit() ? Verdict::too_long : Verdict::need_more;
}

// Saturates instead of overflowing: past 2^32 only "too big" matters.
void CroutFramer::add_digit(char c) noexcept {
  constexpr std::uint64_t saturated = std::uint64_t{1} << 62;
  number_ = std::min(saturated, number_ * 10 + static_cast<std::uint64_t>(c - '0'));
}

bool CroutFramer::past_limit() const noexcept {
  return state_ != State::before_document && pos_ - skippable_end_ > limits_.max_record_bytes;
}

CroutFramer::Verdict CroutFramer::value_done() {
  // A tagged value ends with its inner value.
  while (!closers_.empty() && closers_.back() == 0) closers_.pop_back();
  if (closers_.empty()) {
    state_ = State::done;
    return Verdict::ready;
  }
  state_ = State::after_value;
  return Verdict::need_more;
}

CroutFramer::Verdict CroutFramer::open(char closer) {
  if (closers_.size() >= limits_.max_depth) return Verdict::ready;  // the parser refuses it
  closers_.push_back(closer);
  state_ = closer == 0 ? State::value : State::after_open;
  return Verdict::need_more;
}

CroutFramer::Verdict CroutFramer::raw_done() {
  if (!raw_is_key_) return value_done();
  state_ = State::after_key;
  return Verdict::need_more;
}

}  // namespace crous::detail
