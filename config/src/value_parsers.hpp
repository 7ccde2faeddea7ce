#pragma once
// Text <-> number conversions for config values. Each parser throws
// std::invalid_argument with a reason; the loader adds the option name.
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

namespace crous::config::detail {

std::string_view trim(std::string_view s) noexcept;

// Decimal, no sign, within [min, max].
std::uint64_t parse_unsigned(std::string_view text, std::uint64_t min, std::uint64_t max);
// "1048576", "64KiB", "16MiB", "1GiB" (also K/KB/M/MB/G/GB; all powers of 1024).
std::uint64_t parse_size(std::string_view text);
// "300s", "500ms", "5m", "1h"; a bare number means seconds.
std::chrono::milliseconds parse_duration(std::string_view text);

std::string format_size(std::uint64_t bytes);
std::string format_duration(std::chrono::milliseconds d);

}  // namespace crous::config::detail
