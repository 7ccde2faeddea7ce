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
  double uptime_seconds = 0;

  // {"connections": {...}, "records": {...}, "bytes": {...}, "errors": {...}, "uptime_seconds": x}
  Value to_value() const;
};

}  // namespace crous::server
