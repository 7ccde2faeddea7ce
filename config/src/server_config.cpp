#include "crous/config/server_config.hpp"

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

}  // namespace crous::config
