#pragma once
// Server-wide counters. Sessions tally into LocalCounters and publish them
// once per batch (one atomic add per touched counter, not per record), so I/O
// threads rarely share a cache line.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>

#include "crous/server/stats.hpp"

namespace crous::server::detail {

// One per StatsSnapshot counter field, in the same order as kSnapshotFields.
enum class Counter : std::size_t {
  connections_open,
  connections_total,
  connections_rejected,
  records_in,
  records_out,
  bytes_in,
  bytes_out,
  decode_errors,
  records_too_large,
  unknown_ops,
  handler_errors,
  slow_consumers,
  idle_timeouts,
  record_timeouts,
  handler_timeouts,
  deadline_exceeded,
  server_busy,  // connections closed for the input budget
  tls_handshake_failures,
  proxy_header_failures,
  output_pending_bytes,  // a gauge: sessions add and subtract
  async_running,         // a gauge: async handlers started and not finished
  count_
};
inline constexpr std::size_t kCounters = static_cast<std::size_t>(Counter::count_);

class LocalCounters {
 public:
  void add(Counter c, std::uint64_t n = 1) noexcept { values_[static_cast<std::size_t>(c)] += n; }

 private:
  friend class Stats;
  std::array<std::uint64_t, kCounters> values_{};
};

class Stats {
 public:
  void add(Counter c, std::uint64_t n = 1) noexcept {
    values_[static_cast<std::size_t>(c)].fetch_add(n, std::memory_order_relaxed);
  }
  void subtract(Counter c, std::uint64_t n = 1) noexcept {
    values_[static_cast<std::size_t>(c)].fetch_sub(n, std::memory_order_relaxed);
  }
  std::uint64_t get(Counter c) const noexcept {
    return values_[static_cast<std::size_t>(c)].load(std::memory_order_relaxed);
  }
  // Adds `local` and zeroes it.
  void publish(LocalCounters& local) noexcept;
  StatsSnapshot snapshot() const noexcept;

 private:
  std::array<std::atomic<std::uint64_t>, kCounters> values_{};
  std::chrono::steady_clock::time_point started_ = std::chrono::steady_clock::now();
};

}  // namespace crous::server::detail
