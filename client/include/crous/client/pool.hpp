#pragma once
// A pool of connections to one crous server, for services calling services
// (docs/client.md, "Pool"). Calls are pipelined over at most
// PoolOptions::max_connections connections, each carrying at most
// PoolOptions::max_pipeline calls at a time (the first connection with room
// takes the next call); more wait in the pool, in order. A broken connection fails the calls it carried and is replaced
// by a new one for the calls after them; the Pool never sends a request twice.
//
// Completion signature: void(std::exception_ptr, crous::Value), like
// AsyncClient::async_call, so callbacks and coroutines both work:
//
//   crous::client::Pool pool(executor, "127.0.0.1", 7001);
//   crous::Value request = crous::Dict{{"op", "lookup"}, {"key", key}};
//   crous::Value answer = co_await pool.async_call(std::move(request), ctx, asio::use_awaitable);
//
// (Build the request in a variable first: GCC 12 rejects a braced
// crous::Dict{{...}} temporary inside a co_await expression.)
//
// With a CallContext (a server handler's RequestContext is one) the call
// inherits its deadline, sent to the server as "deadline_ms" (the time
// left, rounded up), and its cancellation: a cancelled context fails the
// call at once with ClientErrc::cancelled. A passed deadline fails it with
// ClientErrc::timeout. Either way a request not yet sent is never sent; one
// already sent cannot be taken back: its late response is read and
// discarded, and a connection left carrying only such responses is closed
// (the server sees the client gone and cancels its own async handlers).
//
// Errors: a ServerError for an error record (the connection carries on), a
// ClientError for everything else (connect failures, timeout, cancelled,
// connection_closed, ...). Without a context each call must be answered
// within PoolOptions::connection.timeout.
//
// One thread: a Pool's state lives on its executor's thread (an io_context
// run by one thread, such as the server I/O thread an async handler runs
// on) and needs no locks there. async_call from another thread is posted to
// it (one hop each way); a CallContext given to a call, stats() and close()
// belong to the pool's thread. A server with several I/O threads gets one
// Pool per thread (Server::io_executors(), RequestContext::io_thread()).
// The Pool must be destroyed before its io_context is. An idle Pool keeps
// no operation pending, so io_context::run() can return while it exists.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/async_result.hpp>

#include "crous/client/async_client.hpp"
#include "crous/client/call_context.hpp"
#include "crous/client/options.hpp"
#include "crous/value.hpp"

namespace crous::client {

namespace detail {
class PoolState;
}

struct PoolOptions {
  // Connections opened at most; a new one is opened when every open one is
  // full (max_pipeline), and on demand after one breaks.
  std::size_t max_connections = 4;
  // Calls in flight on one connection (written, or queued for its next
  // write) before the pool stops giving it more.
  std::size_t max_pipeline = 64;
  // For every connection: connect_timeout, timeout (each call's bound when
  // no earlier deadline is inherited), limits, TLS and compression.
  Options connection{};
};

class Pool {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Connects lazily: the first call opens the first connection.
  Pool(const executor_type& executor, std::string host, unsigned short port, PoolOptions options = {});
  // close().
  ~Pool();
  Pool(const Pool&) = delete;
  Pool& operator=(const Pool&) = delete;

  executor_type get_executor() const noexcept { return executor_; }

  // Sends `request` on a pooled connection; completes with its response.
  template <class Token>
  auto async_call(Value request, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::exception_ptr, Value)>(
        [this](auto handler, Value request) { start_call(std::move(request), nullptr, wrap(std::move(handler))); },
        token, std::move(request));
  }

  // The same, within `context`'s deadline and ended by its cancellation.
  // A dict request gets "deadline_ms" set to the time left, or kept when it
  // already holds a smaller one (which then bounds this call too). The
  // context must outlive the call's completion.
  template <class Token>
  auto async_call(Value request, CallContext& context, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::exception_ptr, Value)>(
        [this, &context](auto handler, Value request) {
          start_call(std::move(request), &context, wrap(std::move(handler)));
        },
        token, std::move(request));
  }

  struct Stats {
    std::size_t connections = 0;  // open or connecting
    std::size_t in_flight = 0;    // calls on connections, answered or not yet (cancelled ones included)
    std::size_t waiting = 0;      // calls waiting for room on a connection
    std::uint64_t connects = 0;   // connections opened so far (replacements included)
    std::uint64_t discarded = 0;  // late responses of cancelled or timed-out calls, read and dropped
  };
  Stats stats() const;

  // Fails every call in flight or waiting with ClientErrc::cancelled and
  // closes the connections. Calls made afterwards open new ones.
  void close();

 private:
  template <class Handler>
  std::unique_ptr<detail::Completion> wrap(Handler handler) const {
    return std::make_unique<detail::HandlerCompletion<Handler, true>>(std::move(handler), executor_);
  }
  void start_call(Value request, CallContext* context, std::unique_ptr<detail::Completion> completion);

  executor_type executor_;
  std::shared_ptr<detail::PoolState> state_;
};

}  // namespace crous::client
