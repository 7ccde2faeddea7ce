#include "crous/json/format.hpp"

#include <algorithm>

#include "crous/json/peekable_input.hpp"

namespace crous::json {

namespace {

constexpr std::string_view crout_header = "CROUT1";
constexpr std::string_view whitespace = " \t\r\n";
// Whitespace before a CROUT header is looked through up to this much.
constexpr std::size_t max_leading_whitespace = 64 * 1024;

std::size_t leading_whitespace(std::string_view text) noexcept { return std::min(text.find_first_not_of(whitespace), text.size()); }

}  // namespace

std::optional<Format> parse_format(std::string_view name) noexcept {
  if (name == "flux") return Format::flux;
  if (name == "crout") return Format::crout;
  if (name == "json") return Format::json;
  return std::nullopt;
}

std::string_view format_name(Format format) noexcept {
  switch (format) {
    case Format::flux: return "flux";
    case Format::crout: return "crout";
    case Format::json: return "json";
  }
  return "?";
}

std::optional<Format> detect_format(std::string_view start) noexcept {
  if (start.empty()) return Format::flux;
  const std::string_view text = start.substr(leading_whitespace(start));
  if (text.empty()) return Format::crout;
  // "CROUT1" shares its first four bytes with the legacy "CROU" magic.
  if (crout_header.starts_with(text.substr(0, crout_header.size())) || text.starts_with("//")) return Format::crout;
  const std::string_view magic = start.substr(0, 4);
  if (std::string_view("FLUX").starts_with(magic) || std::string_view("CROU").starts_with(magic)) return Format::flux;
  return std::nullopt;
}

std::optional<Format> detect_format(PeekableInput& in) {
  std::size_t wanted = crout_header.size();
  for (;;) {
    const auto bytes = in.peek(wanted);
    const std::string_view start(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    const std::size_t space = leading_whitespace(start);
    // Enough to tell: the whole stream, a header's worth after the
    // whitespace, or as much whitespace as is worth looking through.
    if (start.size() < wanted || start.size() - space >= crout_header.size() || wanted >= max_leading_whitespace) {
      return detect_format(start);
    }
    wanted = std::min(std::max(space + crout_header.size(), wanted * 2), max_leading_whitespace);
  }
}

}  // namespace crous::json
