#include "value_parsers.hpp"

#include <array>
#include <charconv>
#include <limits>
#include <stdexcept>

namespace crous::config::detail {
namespace {

bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    auto lower = [](char c) { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; };
    if (lower(a[i]) != lower(b[i])) return false;
  }
  return true;
}

// Splits "16MiB" into 16 and "MiB"; the number part must be present.
std::pair<std::uint64_t, std::string_view> split_number(std::string_view text) {
  text = trim(text);
  std::uint64_t n = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), n);
  if (end == text.data()) throw std::invalid_argument("expected a non-negative whole number");
  if (ec == std::errc::result_out_of_range) throw std::invalid_argument("number too large");
  return {n, trim(std::string_view(end, static_cast<std::size_t>(text.data() + text.size() - end)))};
}

std::uint64_t checked_mul(std::uint64_t n, std::uint64_t factor) {
  if (factor != 0 && n > std::numeric_limits<std::uint64_t>::max() / factor)
    throw std::invalid_argument("number too large");
  return n * factor;
}

}  // namespace

std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r' || s.front() == '\n'))
    s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r' || s.back() == '\n'))
    s.remove_suffix(1);
  return s;
}

std::uint64_t parse_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max) {
  auto [n, rest] = split_number(text);
  if (!rest.empty()) throw std::invalid_argument("unexpected '" + std::string(rest) + "' after the number");
  if (n < min || n > max)
    throw std::invalid_argument("must be between " + std::to_string(min) + " and " + std::to_string(max));
  return n;
}

std::uint64_t parse_size(std::string_view text) {
  auto [n, unit] = split_number(text);
  struct Unit {
    std::string_view a, b, c;
    unsigned shift;
  };
  static constexpr std::array<Unit, 4> units{{
      {"", "B", "", 0},
      {"K", "KB", "KiB", 10},
      {"M", "MB", "MiB", 20},
      {"G", "GB", "GiB", 30},
  }};
  for (const Unit& u : units) {
    if (iequals(unit, u.a) || iequals(unit, u.b) || (!u.c.empty() && iequals(unit, u.c)))
      return checked_mul(n, std::uint64_t{1} << u.shift);
  }
  throw std::invalid_argument("unknown size unit '" + std::string(unit) + "' (use B, KiB, MiB or GiB)");
}

std::chrono::milliseconds parse_duration(std::string_view text) {
  auto [n, unit] = split_number(text);
  std::uint64_t factor = 0;
  if (unit.empty() || iequals(unit, "s")) factor = 1000;
  else if (iequals(unit, "ms")) factor = 1;
  else if (iequals(unit, "m") || iequals(unit, "min")) factor = 60'000;
  else if (iequals(unit, "h")) factor = 3'600'000;
  else throw std::invalid_argument("unknown duration unit '" + std::string(unit) + "' (use ms, s, m or h)");
  std::uint64_t ms = checked_mul(n, factor);
  if (ms > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max() / 1'000'000))
    throw std::invalid_argument("duration too long");
  return std::chrono::milliseconds(static_cast<std::int64_t>(ms));
}

std::string format_size(std::uint64_t bytes) {
  static constexpr std::array<std::pair<unsigned, std::string_view>, 3> units{{{30, "GiB"}, {20, "MiB"}, {10, "KiB"}}};
  for (auto [shift, name] : units) {
    std::uint64_t unit = std::uint64_t{1} << shift;
    if (bytes != 0 && bytes % unit == 0) return std::to_string(bytes / unit) + std::string(name);
  }
  return std::to_string(bytes);
}

std::string format_duration(std::chrono::milliseconds d) {
  auto ms = d.count();
  if (ms != 0 && ms % 1000 == 0) return std::to_string(ms / 1000) + "s";
  return std::to_string(ms) + "ms";
}

}  // namespace crous::config::detail
