// What the latency histogram costs per record (BENCHMARKS.md, "Metrics"):
// the clock reading and the per-shard observation the sessions make, next
// to the alternatives — steady_clock, and prometheus-cpp's own
// Histogram::Observe (one and two threads on one histogram).
//
//   build/bin/crous-metrics-bench
#include <benchmark/benchmark.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <chrono>
#include <vector>

#include "request_latency.hpp"

namespace {

using crous::server::detail::kLatencyBounds;
using crous::server::detail::LatencyClock;
using crous::server::detail::RequestLatency;

void BM_ClockSteady(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
BENCHMARK(BM_ClockSteady);

void BM_ClockLatency(benchmark::State& state) {
  LatencyClock::init();
  state.SetLabel(LatencyClock::uses_tsc() ? "tsc" : "steady_clock");
  for (auto _ : state) benchmark::DoNotOptimize(LatencyClock::now());
}
BENCHMARK(BM_ClockLatency);

// The session's per-record work with metrics on: one reading, one
// observation, the reading kept as the next record's start.
void BM_SessionObserve(benchmark::State& state) {
  LatencyClock::init();
  RequestLatency cells(6);
  LatencyClock::Ticks mark = LatencyClock::now();
  std::size_t op = 0;
  for (auto _ : state) {
    const LatencyClock::Ticks now = LatencyClock::now();
    cells.observe(op, now - mark);
    mark = now;
    op = op == 4 ? 0 : op + 1;
  }
  benchmark::DoNotOptimize(mark);
}
BENCHMARK(BM_SessionObserve);
BENCHMARK(BM_SessionObserve)->Threads(2);  // a table per thread, as per shard

// The same observation into prometheus-cpp's Histogram (its buckets, sum
// and count are atomics of a shared object), timed with steady_clock.
prometheus::Registry registry;
prometheus::Histogram& shared_histogram = prometheus::BuildHistogram()
                                              .Name("bench_seconds")
                                              .Register(registry)
                                              .Add({}, prometheus::Histogram::BucketBoundaries(
                                                           kLatencyBounds.begin(), kLatencyBounds.end()));

void BM_PrometheusCppObserve(benchmark::State& state) {
  auto mark = std::chrono::steady_clock::now();
  for (auto _ : state) {
    const auto now = std::chrono::steady_clock::now();
    shared_histogram.Observe(std::chrono::duration<double>(now - mark).count());
    mark = now;
  }
}
BENCHMARK(BM_PrometheusCppObserve);
BENCHMARK(BM_PrometheusCppObserve)->Threads(2);  // every I/O thread on one histogram

}  // namespace
