#pragma once
// State shared by the listener and every session of one server.
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <functional>
#include <memory>
#include <unordered_map>

#include "connections_per_ip.hpp"
#include "crous/limits.hpp"
#include "crous/record_buffer.hpp"
#include "crous/server/server.hpp"
#include "deadline_queue.hpp"
#include "input_budget.hpp"
#include "log_throttle.hpp"
#include "request_latency.hpp"
#include "stats.hpp"
#include "worker_pool.hpp"

namespace crous::server::detail {

class Session;

// One I/O thread's world: its io_context and the sessions living on it. A
// session is touched only from its shard's thread, so sessions need no
// strands or locks.
struct Shard {
  explicit Shard(std::size_t index);
  // Its place among the server's shards (RequestContext::io_thread()).
  const std::size_t index;
  boost::asio::io_context ctx{1};
  // Every session's deadlines, one timer for all (session.cpp fires them).
  DeadlineQueue deadlines;
  // The shard owns open sessions; a session removes itself when it closes.
  std::unordered_map<Session*, std::shared_ptr<Session>> sessions;
  // Counters of the batch being processed: one session at a time runs on a
  // shard, and each publishes before its handler returns, so they need not
  // cost every connection a copy.
  LocalCounters counters;
  // Every session of the shard reads into this buffer (one readiness event
  // at a time), so an idle connection holds no read buffer of its own.
  std::unique_ptr<std::uint8_t[]> read_buffer{new std::uint8_t[RecordBuffer::read_chunk]};
  // Per-op request latency of this shard's sessions; null when metrics are
  // off (then nothing reads the clock). Set before the shard's thread starts.
  std::unique_ptr<RequestLatency> latency;
};

struct ServerCore {
  const Options& options;
  const Router& router;
  Limits limits;
  Stats& stats;
  WorkerPool& workers;
  InputBudget& budget;
  ConnectionsPerIp& per_ip;
  std::atomic<bool> draining{false};
  // Called (on the session's thread) after a session has closed.
  std::function<void()> on_session_closed;
  // Failed TLS handshakes: a burst of warnings per 10 s, then a count.
  LogThrottle handshake_warnings{std::chrono::seconds(10), 20};
  // Connections refused for a missing or invalid PROXY header: the same.
  LogThrottle proxy_header_warnings{std::chrono::seconds(10), 20};
};

}  // namespace crous::server::detail
