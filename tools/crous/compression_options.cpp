#include "compression_options.hpp"

#include <algorithm>
#include <cstdint>
#include <limits>
#include <stdexcept>

#include "cli_error.hpp"

namespace crous::cli {

namespace {

constexpr OptionSpec input_specs[] = {{"--from", true},      {"--decompress", true},       {"--lz4-page", true},
                                      {"--lz4-width", true}, {"--max-record-bytes", true}, {"--items", false}};
constexpr OptionSpec output_specs[] = {{"--compress", true}};

// "65536", "64K", "4M" or "1G" (binary units, as page and buffer sizes go).
std::size_t parse_size(const std::string& option, const std::string& text) {
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  const std::string unit = used == 0 ? "" : text.substr(used);
  const int shift = unit == "K" ? 10 : unit == "M" ? 20 : unit == "G" ? 30 : 0;
  if (used == 0 || text[0] == '-' || !(unit.empty() || shift != 0) || n > (std::numeric_limits<std::size_t>::max() >> shift))
    usage_error(option + " needs a size in bytes (65536, 64K, 4M), got '" + text + "'");
  return static_cast<std::size_t>(n) << shift;
}

void expect_lz4(const std::string& option, const std::string& value) {
  if (value != "lz4") usage_error(option + " supports lz4 only, got '" + value + "'");
}

Lz4Format lz4_format(const Args& args) {
  Lz4Format format;
  if (const auto page = args.value("--lz4-page")) format.page_size = parse_size("--lz4-page", *page);
  if (const auto width = args.value("--lz4-width")) {
    if (*width != "1" && *width != "2" && *width != "4") usage_error("--lz4-width must be 1, 2 or 4, got '" + *width + "'");
    format.size_bytes = static_cast<unsigned>(std::stoul(*width));
  }
  return format;
}

void check(const Lz4Format& format) {
  try {
    format.validate();
  } catch (const std::invalid_argument& e) {
    usage_error(e.what());
  }
}

}  // namespace

std::size_t largest_lz4_page(unsigned size_bytes) {
  Lz4Format format{Lz4Format::max_page_size, size_bytes};
  const std::uint64_t widest = (std::uint64_t{1} << (8 * size_bytes)) - 1;
  if (format.block_bound() <= widest) return format.page_size;
  // The bound is page + page/255 + 16: start just below, step up to the edge.
  format.page_size = static_cast<std::size_t>((widest - 16) * 255 / 256);
  while (Lz4Format{format.page_size + 1, size_bytes}.block_bound() <= widest) ++format.page_size;
  return format.page_size;
}

std::span<const OptionSpec> input_option_specs() noexcept { return input_specs; }
std::span<const OptionSpec> output_option_specs() noexcept { return output_specs; }

InputOptions input_options(const Args& args) {
  InputOptions options;
  options.from = args.value("--from");
  if (const auto decompress = args.value("--decompress")) {
    expect_lz4("--decompress", *decompress);
    options.decompress = true;
  }
  options.lz4 = lz4_format(args);
  options.lz4_page_given = args.value("--lz4-page").has_value();
  options.lz4_width_given = args.value("--lz4-width").has_value();
  if (!options.lz4_page_given) options.lz4.page_size = std::min(options.lz4.page_size, largest_lz4_page(options.lz4.size_bytes));
  // Detection tries narrower widths, which small pages need: check the
  // page alone unless a width was given.
  Lz4Format checked = options.lz4;
  if (!options.lz4_width_given) checked.size_bytes = 4;
  check(checked);
  if (const auto max = args.value("--max-record-bytes")) {
    options.limits.max_record_bytes = parse_size("--max-record-bytes", *max);
    if (options.limits.max_record_bytes == 0) usage_error("--max-record-bytes must be at least 1");
  }
  options.items = args.flag("--items");
  return options;
}

std::optional<Lz4Format> output_compression(const Args& args) {
  const auto compress = args.value("--compress");
  if (!compress) return std::nullopt;
  expect_lz4("--compress", *compress);
  const Lz4Format format = lz4_format(args);
  check(format);
  return format;
}

}  // namespace crous::cli
