#pragma once
// The connection behind AsyncClient. Every member runs on `strand_` (the
// socket, resolver and timers use it as their executor, and AsyncClient
// posts its requests to it), so there is no locking. Handlers hold a
// shared_ptr, so the connection outlives the AsyncClient until the last one
// has run.
//
// The bytes go over a Link: the stream (plain TCP or TLS, detail::Transport)
// and the records on it, LZ4-compressed after a hello that chose it (the
// hello op, RequestBuffer and ResponseReader: shared with the sync client).
// Without the reconnect policy there is one Link for the client's life.
// With it, a Link the server closed is dropped and the calls still to be
// written (detail::Reconnector decides which) wait for a new one. Handlers
// of a Link hold it, and stop when it is no longer the current one.
#include <atomic>
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include "crous/client/async_client.hpp"
#include "net_error.hpp"
#include "reconnector.hpp"
#include "request_buffer.hpp"
#include "response_reader.hpp"
#include "transport.hpp"

namespace crous::client::detail {

class AsyncConnection : public std::enable_shared_from_this<AsyncConnection> {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;

  AsyncConnection(const boost::asio::any_io_executor& executor, const Options& options);

  const Strand& strand() const noexcept { return strand_; }
  // Set on the strand before async_connect completes (and at each
  // reconnect); read from anywhere.
  Compression compression() const noexcept { return compression_.load(std::memory_order_acquire); }
  ReconnectStats reconnect_stats() const noexcept { return reconnector_.stats(); }

  void connect(const std::string& host, unsigned short port, std::unique_ptr<Completion> completion);
  void call(const Value& request, const CallOptions& options, std::unique_ptr<Completion> completion);
  // The user's close(): every call in flight fails with not_connected; a
  // sound TLS session first says goodbye (close_notify, bounded by
  // tls_close_wait).
  void close();

 private:
  using Clock = std::chrono::steady_clock;
  using tcp = boost::asio::ip::tcp;
  // connecting: the first connect; reconnecting: a reconnect's attempt or
  // the pause before one; lost: the connection ended, the next call
  // reconnects (policy on); closed: for good.
  enum class State { idle, connecting, open, reconnecting, lost, closed };

  // One connection: the stream and the record streams on it.
  struct Link {
    Link(const boost::asio::any_io_executor& executor, boost::asio::ssl::context* tls_context, const Options& options,
         std::string_view host)
        : transport(executor, tls_context, options.tls, host), reader(options.limits) {}
    Transport transport;
    ResponseReader reader;
    RequestBuffer outbox;  // encoded requests waiting for the next write
    Bytes writing;         // the bytes of the write in flight
    bool write_in_flight = false;
  };
  using LinkPtr = std::shared_ptr<Link>;

  struct Pending {
    std::unique_ptr<Completion> completion;
    Clock::time_point deadline;
    OutgoingRequest request;
  };

  void start_attempt();
  void on_resolved(const LinkPtr& link, const boost::system::error_code& ec,
                   const tcp::resolver::results_type& endpoints);
  void on_connected(const LinkPtr& link, const boost::system::error_code& ec);
  void on_handshake(const LinkPtr& link, const boost::system::error_code& ec);
  void start_hello(const LinkPtr& link);
  void on_hello(const LinkPtr& link, const std::optional<ClientError>& error, Compression chosen);
  void attempt_failed(const ClientError& error);
  void give_up(const ClientError& last);
  void on_open();
  void do_write();
  void do_read();
  void on_read(const LinkPtr& link, const boost::system::error_code& ec, std::size_t bytes);
  void deliver_responses();
  void check_deadline();
  void wake_timer(Clock::time_point deadline);
  // The connection ended (`cause`): policy off (or a refused TLS session),
  // end(cause). On: the calls written on it are settled by the Reconnector
  // (not_answered, or written again), those left wait for a reconnect,
  // which starts at once if there are any.
  void lose(const ClientError& cause);
  // The oldest call fails with `error` (a timeout, a garbled response), then
  // the connection is lost behind it.
  void fail_front(const ClientError& error);
  void start_reconnect();
  void end(const ClientError& error, bool say_goodbye);
  void say_goodbye();
  bool attempting() const noexcept { return (state_ == State::connecting || state_ == State::reconnecting) && link_; }
  std::size_t written() const noexcept { return pending_.size() - unwritten_; }

  Strand strand_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  LinkPtr link_;  // the connection, or the attempt to make one; null between them
  tcp::resolver resolver_;
  boost::asio::steady_timer timer_;    // deadlines: the attempt's, else the oldest call's
  boost::asio::steady_timer backoff_;  // the pause before a reconnect's next attempt
  Options options_;
  Reconnector reconnector_;
  State state_ = State::idle;
  std::string host_;
  unsigned short port_ = 0;
  std::string peer_;
  std::unique_ptr<Completion> connect_completion_;
  Clock::time_point connect_deadline_;
  ConnectStep step_ = ConnectStep::tcp;
  std::atomic<Compression> compression_{Compression::none};
  std::deque<Pending> pending_;  // calls in request order
  std::size_t unwritten_ = 0;    // the last pending_ not handed to a write yet
  std::optional<ClientError> failure_;
};

}  // namespace crous::client::detail
