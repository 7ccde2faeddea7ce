#pragma once
// Counters of a running server, as returned by Server::stats() and the
// built-in `stats` op.
#include <cstdint>

#include "crous/value.hpp"

namespace crous::server {

struct StatsSnapshot {
  std::uint64_t connections_open = 0;
  std::uint64_t connections_total = 0;     // accepted and served
  std::uint64_t connections_rejected = 0;  // server_busy
  std::uint64_t records_in = 0;
  std::uint64_t records_out = 0;
  std::uint64_t bytes_in = 0;
  std::uint64_t bytes_out = 0;
  std::uint64_t decode_errors = 0;
  std::uint64_t records_too_large = 0;
  std::uint64_t unknown_ops = 0;
  std::uint64_t handler_errors = 0;
  std::uint64_t slow_consumers = 0;
  std::uint64_t idle_timeouts = 0;
  std::uint64_t record_timeouts = 0;
  std::uint64_t handler_timeouts = 0;
  std::uint64_t deadline_exceeded = 0;       // requests whose deadline_ms passed (or was 0)
  std::uint64_t server_busy = 0;             // closed to keep buffered input within max_buffered_bytes
  std::uint64_t tls_handshake_failures = 0;  // failed, timed out, or a plain client on the TLS port
  std::uint64_t proxy_header_failures = 0;   // proxy_protocol: no valid PROXY header in time, closed
  // The memory picture, now (gauges):
  std::uint64_t output_pending_bytes = 0;  // responses encoded, not yet written
  std::uint64_t input_buffered_bytes = 0;  // held for unfinished records (capacity)
  std::uint64_t input_budget_bytes = 0;    // max_buffered_bytes, resolved
  std::uint64_t offloads_queued = 0;
  std::uint64_t offloads_running = 0;
  std::uint64_t async_running = 0;  // async handlers started, not yet finished
  double uptime_seconds = 0;

  // {"connections": {...}, "records": {...}, "bytes": {...}, "errors": {...},
  //  "memory": {...}, "offloads": {...}, "async": {...}, "uptime_seconds": x}
  Value to_value() const;
};

}  // namespace crous::server
