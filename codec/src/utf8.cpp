#include "utf8.hpp"

#include <cstring>

namespace crous::detail {

namespace {
// What a lead byte promises: the length of its sequence (0: not a lead byte)
// and the range of the first continuation byte, which is where overlongs
// (E0, F0), UTF-16 surrogates (ED) and code points past U+10FFFF (F4) are
// excluded. Later continuation bytes are 0x80..0xBF.
struct Lead {
  std::uint8_t length;
  std::uint8_t first_min, first_max;
};

constexpr Lead lead_of(std::uint8_t b) noexcept {
  if (b >= 0xC2 && b <= 0xDF) return {2, 0x80, 0xBF};
  if (b == 0xE0) return {3, 0xA0, 0xBF};
  if (b == 0xED) return {3, 0x80, 0x9F};
  if (b >= 0xE1 && b <= 0xEF) return {3, 0x80, 0xBF};
  if (b == 0xF0) return {4, 0x90, 0xBF};
  if (b == 0xF4) return {4, 0x80, 0x8F};
  if (b >= 0xF1 && b <= 0xF3) return {4, 0x80, 0xBF};
  return {0, 0, 0};
}

constexpr bool is_continuation(std::uint8_t b) noexcept { return (b & 0xC0) == 0x80; }

// Length of a valid multi-byte sequence starting at p, or 0.
std::size_t sequence_length(const std::uint8_t* p, std::size_t left) noexcept {
  const Lead lead = lead_of(p[0]);
  if (lead.length == 0 || lead.length > left) return 0;
  if (p[1] < lead.first_min || p[1] > lead.first_max) return 0;
  for (std::size_t i = 2; i < lead.length; ++i)
    if (!is_continuation(p[i])) return 0;
  return lead.length;
}

// The length of `data` without a multi-byte sequence cut short by its end.
// Such a sequence starts in the last three bytes; anything before it, and any
// other ending, find_invalid_utf8 can judge on its own.
std::size_t whole_sequences(const std::uint8_t* data, std::size_t size) noexcept {
  for (std::size_t back = 1; back <= 3 && back <= size; ++back) {
    const std::uint8_t b = data[size - back];
    if (is_continuation(b)) continue;
    const Lead lead = lead_of(b);
    return lead.length > back ? size - back : size;
  }
  return size;
}
}  // namespace

std::size_t find_invalid_utf8(const std::uint8_t* data, std::size_t size) noexcept {
  std::size_t i = 0;
  while (i < size) {
    // ASCII fast path, eight bytes at a time.
    while (i + 8 <= size) {
      std::uint64_t chunk;
      std::memcpy(&chunk, data + i, 8);
      if (chunk & 0x8080808080808080ULL) break;
      i += 8;
    }
    if (i >= size) break;
    if (data[i] < 0x80) {
      ++i;
      continue;
    }
    const std::size_t n = sequence_length(data + i, size - i);
    if (n == 0) return i;
    i += n;
  }
  return size;
}

bool Utf8StreamValidator::continue_sequence(std::uint8_t byte) noexcept {
  if (byte < next_min_ || byte > next_max_) return false;
  next_min_ = 0x80;
  next_max_ = 0xBF;
  --pending_;
  return true;
}

std::uint64_t Utf8StreamValidator::feed(const std::uint8_t* data, std::size_t size) noexcept {
  std::size_t i = 0;
  // First the rest of a sequence an earlier piece began.
  for (; pending_ != 0 && i < size; ++i)
    if (!continue_sequence(data[i])) return sequence_start_;
  // Then every sequence this piece holds whole.
  const std::size_t whole = i + whole_sequences(data + i, size - i);
  const std::size_t bad = i + find_invalid_utf8(data + i, whole - i);
  if (bad != whole) return seen_ + bad;
  // Then the start of a sequence the next piece finishes: its bytes so far
  // may already rule it out.
  if (whole != size) {
    const Lead lead = lead_of(data[whole]);
    sequence_start_ = seen_ + whole;
    pending_ = static_cast<std::uint8_t>(lead.length - 1);
    next_min_ = lead.first_min;
    next_max_ = lead.first_max;
    for (i = whole + 1; i < size; ++i)
      if (!continue_sequence(data[i])) return sequence_start_;
  }
  seen_ += size;
  return valid;
}

}  // namespace crous::detail
