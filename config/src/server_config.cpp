#include "crous/config/server_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <thread>

namespace crous::config {

std::string_view to_string(LogFormat format) noexcept {
  return format == LogFormat::json ? "json" : "text";
}

unsigned ServerConfig::io_threads() const noexcept {
  if (threads != 0) return threads;
  unsigned n = std::thread::hardware_concurrency();
  return n == 0 ? 1 : n;
}

std::size_t ServerConfig::max_buffered_input() const noexcept {
  if (max_buffered_bytes != 0) return max_buffered_bytes;
  constexpr std::size_t kGiB = std::size_t{1} << 30;
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages <= 0 || page_size <= 0) return kGiB;
  return std::min(kGiB, static_cast<std::size_t>(pages) / 4 * static_cast<std::size_t>(page_size));
}

}  // namespace crous::config
