#pragma once
// Per-op request latency (crous_request_duration_seconds), kept per I/O
// thread. A shard's sessions are its only writers, so an observation is a
// few plain loads and stores (relaxed atomics, no read-modify-write, no
// lock); the exporter sums the shards' cells when it is scraped. This is
// the LocalCounters model applied to a histogram: prometheus-cpp's
// Histogram::Observe would cost a lock-prefixed add per bucket and sum on
// every record, from every I/O thread, into shared cache lines.
#include <array>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>
#include <vector>

#if defined(__x86_64__)
#include <x86intrin.h>
#endif

namespace crous::server::detail {

// Upper bounds (le) in seconds: 1-2.5-5 steps from 1 µs to 10 s. Inline
// handlers take well under 10 µs; offloaded ones tens of µs to seconds.
inline constexpr std::array<double, 22> kLatencyBounds{
    1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3,
    5e-3, 1e-2, 2.5e-2, 5e-2, 0.1,    0.25,   0.5,  1.0,  2.5,    5.0,  10.0};

// The latency clock. One reading per record is the whole per-record cost
// of the histogram, so on x86-64, when the kernel itself keeps time with the
// TSC (constant rate, synchronised across cores: its clocksource is "tsc"),
// it is the bare time-stamp counter (a few ns, no fence; steady_clock's
// vDSO path costs ~20 ns here), calibrated against steady_clock once per
// process. Elsewhere it is steady_clock's nanoseconds. 0 is never a
// reading, so sessions use it for "not measured".
class LatencyClock {
 public:
  using Ticks = std::uint64_t;
  // Picks and calibrates the clock; once per process (later calls return at
  // once). Before any now(): Server::start() calls it before its threads run.
  static void init();
  static Ticks now() noexcept {
#if defined(__x86_64__)
    if (tsc_) return __rdtsc() | 1;
#endif
    return static_cast<Ticks>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                  std::chrono::steady_clock::now().time_since_epoch())
                                  .count()) |
           1;  // never 0 (1 tick of resolution traded for that)
  }
  static double seconds_per_tick() noexcept { return seconds_per_tick_; }
  static bool uses_tsc() noexcept { return tsc_; }

 private:
  static inline bool tsc_ = false;
  static inline double seconds_per_tick_ = 1e-9;
};

class RequestLatency {
 public:
  using Ticks = LatencyClock::Ticks;
  static constexpr std::size_t kBuckets = kLatencyBounds.size() + 1;  // + the +Inf bucket

  // `labels`: the router's ops plus one for every op not registered.
  explicit RequestLatency(std::size_t labels);
  RequestLatency(const RequestLatency&) = delete;
  RequestLatency& operator=(const RequestLatency&) = delete;

  std::size_t labels() const noexcept { return labels_; }

  // Only from the shard's own thread (single writer).
  void observe(std::size_t label, Ticks elapsed) noexcept {
    if (label >= labels_) label = labels_ - 1;  // a route added after start(): counted as unregistered
    std::size_t b = 0;
    while (b < kLatencyBounds.size() && elapsed > bounds_[b]) ++b;
    std::atomic<std::uint64_t>* row = row_of(label);
    bump(row[b], 1);
    bump(row[kBuckets], elapsed);
  }

  // Any thread: adds this shard's per-bucket counts (not cumulative) for
  // `label` to `buckets` (kBuckets entries) and its tick sum to `sum`.
  void add_to(std::size_t label, std::span<std::uint64_t> buckets, std::uint64_t& sum) const noexcept;

 private:
  static void bump(std::atomic<std::uint64_t>& cell, std::uint64_t n) noexcept {
    cell.store(cell.load(std::memory_order_relaxed) + n, std::memory_order_relaxed);
  }
  std::atomic<std::uint64_t>* row_of(std::size_t label) const noexcept {
    return &cells_[kPad + label * kStride];
  }

  static constexpr std::size_t kStride = kBuckets + 1;  // the buckets, then the sum
  static constexpr std::size_t kPad = 8;                // a cache line around the cells: shards never share one
  std::array<Ticks, kLatencyBounds.size()> bounds_{};
  std::size_t labels_;
  std::unique_ptr<std::atomic<std::uint64_t>[]> cells_;
};

inline RequestLatency::RequestLatency(std::size_t labels)
    : labels_(labels), cells_(new std::atomic<std::uint64_t>[2 * kPad + labels * kStride]()) {
  for (std::size_t i = 0; i < kLatencyBounds.size(); ++i)
    bounds_[i] = static_cast<Ticks>(kLatencyBounds[i] / LatencyClock::seconds_per_tick() + 0.5);
}

inline void RequestLatency::add_to(std::size_t label, std::span<std::uint64_t> buckets,
                                   std::uint64_t& sum) const noexcept {
  const std::atomic<std::uint64_t>* row = row_of(label);
  for (std::size_t b = 0; b < kBuckets && b < buckets.size(); ++b) buckets[b] += row[b].load(std::memory_order_relaxed);
  sum += row[kBuckets].load(std::memory_order_relaxed);
}

}  // namespace crous::server::detail
