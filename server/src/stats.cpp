#include "stats.hpp"

namespace crous::server {

Value StatsSnapshot::to_value() const {
  auto n = [](std::uint64_t v) { return Value(static_cast<std::int64_t>(v)); };
  return Dict{
      {"connections",
       Dict{{"open", n(connections_open)}, {"total", n(connections_total)}, {"rejected", n(connections_rejected)}}},
      {"records", Dict{{"in", n(records_in)}, {"out", n(records_out)}}},
      {"bytes", Dict{{"in", n(bytes_in)}, {"out", n(bytes_out)}}},
      {"errors", Dict{{"decode_error", n(decode_errors)},
                      {"record_too_large", n(records_too_large)},
                      {"unknown_op", n(unknown_ops)},
                      {"handler_error", n(handler_errors)},
                      {"slow_consumer", n(slow_consumers)},
                      {"idle_timeout", n(idle_timeouts)},
                      {"record_timeout", n(record_timeouts)},
                      {"handler_timeout", n(handler_timeouts)},
                      {"deadline_exceeded", n(deadline_exceeded)},
                      {"server_busy", n(server_busy)},
                      {"tls_handshake_failed", n(tls_handshake_failures)},
                      {"proxy_header_invalid", n(proxy_header_failures)}}},
      {"memory", Dict{{"input_buffered_bytes", n(input_buffered_bytes)},
                      {"input_budget_bytes", n(input_budget_bytes)},
                      {"output_pending_bytes", n(output_pending_bytes)}}},
      {"offloads", Dict{{"queued", n(offloads_queued)}, {"running", n(offloads_running)}}},
      {"async", Dict{{"running", n(async_running)}}},
      {"uptime_seconds", uptime_seconds},
  };
}

namespace detail {
namespace {

// Indexed by Counter.
constexpr std::array<std::uint64_t StatsSnapshot::*, kCounters> kSnapshotFields = {
    &StatsSnapshot::connections_open,
    &StatsSnapshot::connections_total,
    &StatsSnapshot::connections_rejected,
    &StatsSnapshot::records_in,
    &StatsSnapshot::records_out,
    &StatsSnapshot::bytes_in,
    &StatsSnapshot::bytes_out,
    &StatsSnapshot::decode_errors,
    &StatsSnapshot::records_too_large,
    &StatsSnapshot::unknown_ops,
    &StatsSnapshot::handler_errors,
    &StatsSnapshot::slow_consumers,
    &StatsSnapshot::idle_timeouts,
    &StatsSnapshot::record_timeouts,
    &StatsSnapshot::handler_timeouts,
    &StatsSnapshot::deadline_exceeded,
    &StatsSnapshot::server_busy,
    &StatsSnapshot::tls_handshake_failures,
    &StatsSnapshot::proxy_header_failures,
    &StatsSnapshot::output_pending_bytes,
    &StatsSnapshot::async_running,
};

}  // namespace

void Stats::publish(LocalCounters& local) noexcept {
  for (std::size_t i = 0; i < kCounters; ++i) {
    if (local.values_[i] != 0) values_[i].fetch_add(local.values_[i], std::memory_order_relaxed);
    local.values_[i] = 0;
  }
}

StatsSnapshot Stats::snapshot() const noexcept {
  StatsSnapshot s;
  for (std::size_t i = 0; i < kCounters; ++i) s.*kSnapshotFields[i] = values_[i].load(std::memory_order_relaxed);
  s.uptime_seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started_).count();
  return s;
}

}  // namespace detail
}  // namespace crous::server
