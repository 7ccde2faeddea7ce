#include "crous/config/server_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
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

namespace {

// The memory this process may use: physical memory, or less when a cgroup
// (a container's memory limit) says so.
std::size_t usable_memory() noexcept {
  std::size_t usable = std::numeric_limits<std::size_t>::max();
  const long pages = ::sysconf(_SC_PHYS_PAGES);
  const long page_size = ::sysconf(_SC_PAGESIZE);
  if (pages > 0 && page_size > 0) usable = static_cast<std::size_t>(pages) * static_cast<std::size_t>(page_size);
  // cgroup v2, then v1; "max" (v2) or a huge number (v1) means no limit.
  for (const char* path : {"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"}) {
    std::ifstream file(path);
    unsigned long long limit = 0;
    if (file >> limit && limit > 0) usable = std::min<std::size_t>(usable, static_cast<std::size_t>(limit));
  }
  return usable;
}

}  // namespace

std::size_t ServerConfig::max_buffered_input() const noexcept {
  if (max_buffered_bytes != 0) return max_buffered_bytes;
  constexpr std::size_t kGiB = std::size_t{1} << 30;
  const std::size_t usable = usable_memory();
  return usable == std::numeric_limits<std::size_t>::max() ? kGiB : std::min(kGiB, usable / 4);
}

}  // namespace crous::config
