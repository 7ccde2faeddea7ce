#include "crous/config/server_config.hpp"

#include <unistd.h>

#include <algorithm>
#include <fstream>
#include <limits>
#include <stdexcept>
#include <string>
#include <thread>

namespace crous::config {

std::string_view to_string(LogFormat format) noexcept {
  return format == LogFormat::json ? "json" : "text";
}

std::string_view to_string(TlsVersion version) noexcept {
  return version == TlsVersion::v1_3 ? "1.3" : "1.2";
}

std::string_view to_string(Compression compression) noexcept {
  return compression == Compression::lz4 ? "lz4" : "off";
}

void ServerConfig::validate() const {
  if (!port && !tls_port) throw std::invalid_argument("port: both port and tls_port are off: nothing to listen on");
  if (tls_port && tls_cert_file.empty()) throw std::invalid_argument("tls_cert_file: tls_port is set but tls_cert_file is not");
  if (tls_port && tls_key_file.empty()) throw std::invalid_argument("tls_key_file: tls_port is set but tls_key_file is not");
  if (!tls_allowed_clients.empty() && tls_ca_file.empty())
    throw std::invalid_argument("tls_allowed_clients: needs tls_ca_file (without it no client presents a certificate)");
  if (port && tls_port && *port == *tls_port && *port != 0)
    throw std::invalid_argument("tls_port: the same port as port (" + std::to_string(*port) + ")");
  if (metrics_port && *metrics_port != 0) {
    if (port && *port == *metrics_port)
      throw std::invalid_argument("metrics_port: the same port as port (" + std::to_string(*port) + ")");
    if (tls_port && *tls_port == *metrics_port)
      throw std::invalid_argument("metrics_port: the same port as tls_port (" + std::to_string(*tls_port) + ")");
  }
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
