#pragma once
// The connection behind AsyncClient. Every member runs on `strand_` (the
// socket, resolver and timer use it as their executor, and AsyncClient posts
// its requests to it), so there is no locking. Handlers hold a shared_ptr,
// so the connection outlives the AsyncClient until the last one has run.
// The stream is plain TCP or TLS (detail::Transport), made at connect.
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
#include "request_buffer.hpp"
#include "response_reader.hpp"
#include "transport.hpp"

namespace crous::client::detail {

class AsyncConnection : public std::enable_shared_from_this<AsyncConnection> {
 public:
  using Strand = boost::asio::strand<boost::asio::any_io_executor>;

  AsyncConnection(const boost::asio::any_io_executor& executor, const Options& options);

  const Strand& strand() const noexcept { return strand_; }

  void connect(const std::string& host, unsigned short port, std::unique_ptr<Completion> completion);
  void call(const Value& request, std::unique_ptr<Completion> completion);
  // Ends the connection: every call in flight fails with `error`.
  void fail(const ClientError& error);
  // The user's close(): like fail(not_connected), but a sound TLS session
  // first says goodbye (close_notify, bounded by tls_close_wait).
  void close();

 private:
  using Clock = std::chrono::steady_clock;
  using tcp = boost::asio::ip::tcp;
  enum class State { idle, connecting, open, closed };
  struct Pending {
    std::unique_ptr<Completion> completion;
    Clock::time_point deadline;
  };

  void on_resolved(const boost::system::error_code& ec, const tcp::resolver::results_type& endpoints);
  void on_connected(const boost::system::error_code& ec);
  void on_handshake(const boost::system::error_code& ec);
  void on_open();
  void do_write();
  void do_read();
  void on_read(const boost::system::error_code& ec, std::size_t bytes);
  void deliver_responses();
  void check_deadline();
  void wake_timer(Clock::time_point deadline);
  void end(const ClientError& error, bool say_goodbye);
  void say_goodbye();

  Strand strand_;
  std::shared_ptr<boost::asio::ssl::context> tls_context_;
  std::optional<Transport> transport_;  // made by connect()
  tcp::resolver resolver_;
  boost::asio::steady_timer timer_;
  Options options_;
  ResponseReader reader_;
  State state_ = State::idle;
  std::string peer_;
  std::unique_ptr<Completion> connect_completion_;
  Clock::time_point connect_deadline_;
  bool handshaking_ = false;
  std::deque<Pending> pending_;  // calls in request order
  RequestBuffer outbox_;         // encoded requests waiting for the next write
  Bytes writing_;                // the bytes of the write in flight
  bool write_in_flight_ = false;
  std::optional<ClientError> failure_;
};

}  // namespace crous::client::detail
