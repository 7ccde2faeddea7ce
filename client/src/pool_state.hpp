#pragma once
// Everything behind a Pool: its connections, the calls waiting for room on
// one, and every live call's deadline under one timer. On the Pool's
// thread; shared with the operations in flight, so it outlives the Pool
// object until they have run.
#include <chrono>
#include <cstdint>
#include <deque>
#include <exception>
#include <memory>
#include <memory_resource>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "crous/client/pool.hpp"
#include "pool_connection.hpp"

namespace crous::client::detail {

class PoolState : public std::enable_shared_from_this<PoolState> {
 public:
  // Throws ClientError(tls_config) when the TLS files cannot be used.
  PoolState(const boost::asio::any_io_executor& executor, std::string host, unsigned short port, PoolOptions options);
  ~PoolState();
  PoolState(const PoolState&) = delete;
  PoolState& operator=(const PoolState&) = delete;

  void call(Value request, CallContext* context, std::unique_ptr<Completion> completion);
  Pool::Stats stats() const;
  // Fails every live call with `error` and closes every connection.
  void close(const ClientError& error);

  // ---- from the connections ----
  void answered(PoolCall& call, Value response);
  // The request could not be encoded.
  void failed(PoolCall& call, std::exception_ptr error) { finish(call, std::move(error)); }
  void discarded() noexcept { ++discarded_; }
  // Responses freed room on a connection.
  void has_room() { dispatch_waiting(); }
  // The connection broke: its live calls fail with `error`.
  void connection_failed(PoolConnection& connection, const ClientError& error);
  // The connection closed itself, carrying no live call.
  void connection_retired(PoolConnection& connection);

 private:
  using Clock = std::chrono::steady_clock;

  // Where a new call goes: the first connection with room, or a new one;
  // null when all are full.
  PoolConnection* pick();
  PoolConnection* open_connection();
  void send(const PoolCallPtr& call);
  void dispatch_waiting();
  std::shared_ptr<PoolConnection> remove(PoolConnection& connection);
  // Completes a live call; it stays wherever it is queued, abandoned.
  void finish(PoolCall& call, std::exception_ptr error, Value response = {});
  // A live call ended before its response (cancelled, deadline).
  void end_early(PoolCall& call, const ClientError& error);
  // Its context was cancelled.
  void cancelled(PoolCall& call);
  ClientError timeout_error_for(const PoolCall& call) const;
  void arm_timer();
  void on_timer();

  boost::asio::any_io_executor executor_;
  std::string host_;
  unsigned short port_;
  std::string peer_;
  PoolOptions options_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;  // null without TLS
  std::vector<std::shared_ptr<PoolConnection>> connections_;
  std::deque<PoolCallPtr> waiting_;  // calls without a connection yet; completed ones are skipped
  // The live calls by deadline; its nodes come from (and go back to) a pool
  // of its own rather than malloc, one per call.
  std::pmr::unsynchronized_pool_resource deadline_nodes_;
  std::pmr::set<std::pair<Clock::time_point, PoolCall*>> deadlines_{&deadline_nodes_};
  boost::asio::steady_timer timer_;
  Clock::time_point timer_at_ = Clock::time_point::max();  // the pending wait's expiry; max = none
  std::uint64_t connects_ = 0;
  std::uint64_t discarded_ = 0;
};

}  // namespace crous::client::detail
