#pragma once
// One connection of a Pool: connects (TCP, TLS, compression hello within
// connect_timeout), writes the requests handed to it in order (one write in
// flight, later requests batched into the next), and matches responses to
// them in order. Runs on the Pool's thread; no locks.
//
// Unlike AsyncConnection it reads only while some call waits for a
// response: an idle pooled connection has no operation pending, so a
// server's io_context can run out of work (and stop) while the Pool lives.
// A server closing an idle connection is noticed by peer_closed() before
// the connection is used again.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>

#include "crous/client/async_client.hpp"
#include "crous/client/call_context.hpp"
#include "net_error.hpp"
#include "request_buffer.hpp"
#include "response_reader.hpp"
#include "transport.hpp"

namespace crous::client::detail {

class PoolConnection;
class PoolState;

// One call made through a Pool. Live until completed; a call completed
// early (cancelled, timed out) after it was handed to a connection stays in
// that connection's queue, abandoned, until its response arrives and is
// discarded.
struct PoolCall {
  Value request;  // until encoded into a connection's outbox
  bool encoded = false;
  std::unique_ptr<Completion> completion;  // null once completed
  std::chrono::steady_clock::time_point deadline;
  bool inherited_deadline = false;         // the deadline came from a context (or the request's deadline_ms)
  CallContext* context = nullptr;          // the call's, if any
  CallContext::Registration cancellation;  // while live, with a context
  PoolConnection* connection = nullptr;    // where it was sent; null while waiting in the pool

  bool live() const noexcept { return completion != nullptr; }
};
using PoolCallPtr = std::shared_ptr<PoolCall>;

class PoolConnection : public std::enable_shared_from_this<PoolConnection> {
 public:
  // Throws ClientError(tls_config) when the TLS connection cannot be set up.
  PoolConnection(PoolState& owner, const boost::asio::any_io_executor& executor, const Options& options,
                 boost::asio::ssl::context* tls, const std::string& host, unsigned short port);

  // Resolves, connects, shakes hands, exchanges the hello; calls added
  // meanwhile are written once it is open.
  void start();
  // Queues `call`'s request for the next write. Throws (nothing queued)
  // when the request cannot be encoded.
  void add(const PoolCallPtr& call);
  // A live call of this connection ended early: with no live call left the
  // connection is closed (the server sees the client gone) and retired.
  void abandoned();

  // Calls queued or waiting for a response, abandoned ones included.
  std::size_t load() const noexcept { return calls_.size(); }
  bool idle() const noexcept { return calls_.empty(); }
  // An idle plain connection the server has closed (or sent something
  // unasked on) since its last response. Over TLS a close cannot be told
  // from a session ticket without reading: false.
  bool peer_closed();
  // Closes without telling the owner; the calls are the owner's to settle.
  void close() noexcept;
  std::deque<PoolCallPtr> take_calls() noexcept { return std::move(calls_); }

 private:
  using Clock = std::chrono::steady_clock;
  using tcp = boost::asio::ip::tcp;
  enum class State { connecting, open, closed };

  void on_open();
  void on_connect_timer(const boost::system::error_code& ec);
  void do_write();
  void write_soon();
  void read_if_needed();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  void deliver_responses();
  bool has_live_call() const noexcept;
  void fail(const ClientError& error);
  void retire();

  PoolState* owner_;  // null once closed
  Options options_;
  std::string host_;
  unsigned short port_;
  std::string peer_;
  std::optional<Transport> transport_;
  tcp::resolver resolver_;
  boost::asio::steady_timer connect_timer_;
  ConnectStep step_ = ConnectStep::tcp;
  ResponseReader reader_;
  RequestBuffer outbox_;  // encoded requests waiting for the next write
  Bytes writing_;         // the bytes of the write in flight
  bool write_in_flight_ = false;
  bool write_posted_ = false;  // write_soon() is pending
  bool reading_ = false;
  State state_ = State::connecting;
  std::deque<PoolCallPtr> calls_;  // in request order
};

}  // namespace crous::client::detail
