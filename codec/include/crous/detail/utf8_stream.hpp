#pragma once
// Streaming UTF-8 validation, for the record scanner (which keeps one in its
// state, hence a header here rather than in src/). The whole-buffer
// validator, find_invalid_utf8, is in src/utf8.hpp; both live in utf8.cpp
// and share one statement of the UTF-8 rules.
#include <cstddef>
#include <cstdint>

namespace crous::detail {

// find_invalid_utf8 for text that arrives in pieces (a string split between
// socket reads): the same verdict and the same offset as find_invalid_utf8
// over the whole text, however it is cut, and each bad sequence is reported
// by the first piece that shows it is bad, not only when the text ends.
class Utf8StreamValidator {
 public:
  static constexpr std::uint64_t valid = UINT64_MAX;

  // A new text begins.
  void start() noexcept { *this = {}; }
  // Validates the next `size` bytes of the text. Returns the offset, counted
  // from the start of the text, of the first invalid sequence, or `valid`.
  std::uint64_t feed(const std::uint8_t* data, std::size_t size) noexcept;
  // The text has ended: the offset of a last sequence left incomplete, or `valid`.
  std::uint64_t finish() const noexcept { return pending_ == 0 ? valid : sequence_start_; }

 private:
  // Takes one byte of the sequence in progress; false when it cannot be one.
  bool continue_sequence(std::uint8_t byte) noexcept;

  std::uint64_t seen_ = 0;            // bytes of the text fed so far
  std::uint64_t sequence_start_ = 0;  // where the sequence in progress began
  std::uint8_t pending_ = 0;          // continuation bytes it still needs
  std::uint8_t next_min_ = 0x80, next_max_ = 0xBF;  // range of the next one
};

}  // namespace crous::detail
