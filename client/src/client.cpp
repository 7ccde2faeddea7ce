#include "crous/client/client.hpp"

#include <algorithm>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "crous/client/tls.hpp"
#include "crous/flux.hpp"
#include "net_error.hpp"
#include "request_buffer.hpp"
#include "response_reader.hpp"
#include "transport.hpp"

namespace crous::client {

namespace asio = boost::asio;
using boost::system::error_code;
using asio::ip::tcp;
using Clock = std::chrono::steady_clock;

// Blocking calls are asynchronous operations run on a private io_context
// for at most the allowed time (the pattern of Asio's blocking_tcp_client
// example): on expiry the socket is closed, which ends every operation.
class Client::Impl {
 public:
  explicit Impl(Options options) : options_(std::move(options)), reader_(options_.limits) {}
  // Says goodbye like close(): a TLS server then sees a clean end.
  ~Impl() { close(); }

  void connect(std::string_view host, unsigned short port, std::chrono::milliseconds timeout);
  void send(const Value& request);
  void flush();
  Value receive_record();
  Value call(const Value& request);

  void set_timeout(std::chrono::milliseconds timeout) noexcept { options_.timeout = timeout; }
  std::chrono::milliseconds connect_timeout() const noexcept { return options_.connect_timeout; }
  std::size_t outstanding() const noexcept { return outstanding_; }
  bool is_open() const noexcept { return transport_ && transport_->is_open(); }
  void close() noexcept;

 private:
  // Runs the io_context until its work is done or `deadline`; false on
  // timeout, after the socket was closed and the aborted handlers ran.
  bool run_until(Clock::time_point deadline);
  void require_open() const;
  // Closes at once, without a TLS goodbye: after a failure (the session may
  // be broken), and as close()'s last step.
  void abort() noexcept;
  void say_goodbye() noexcept;
  [[noreturn]] void fail(const ClientError& error);
  void start_read_while_writing(const bool& write_done);
  void read_some(Clock::time_point deadline);

  asio::io_context io_;
  tcp::resolver resolver_{io_};
  Options options_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // made at the first TLS connect, then reused
  std::optional<detail::Transport> transport_;       // one per connection
  bool tls_established_ = false;                     // handshake done, session still sound
  detail::ResponseReader reader_;
  detail::RequestBuffer outbox_;
  std::size_t outstanding_ = 0;
  std::string peer_ = "(not connected)";
  // Set once a read failed or met the end of the stream: receive() reports
  // it after handing out the responses that arrived before.
  error_code read_end_;
  std::string failure_;  // why the connection was closed, for later calls
};

bool Client::Impl::run_until(Clock::time_point deadline) {
  io_.restart();
  io_.run_until(deadline);
  if (io_.stopped()) return true;
  // A name lookup cannot be interrupted once getaddrinfo runs; cancel()
  // makes its handler report an abort as soon as it returns.
  resolver_.cancel();
  if (transport_) transport_->close();
  io_.run();
  return false;
}

void Client::Impl::abort() noexcept {
  if (transport_) transport_->close();
  tls_established_ = false;
  outbox_.clear();
  outstanding_ = 0;
}

void Client::Impl::close() noexcept {
  if (tls_established_ && !read_end_ && is_open()) say_goodbye();
  abort();
}

// Best effort: close_notify tells the server the connection ended on
// purpose rather than being cut. Its write is immediate; waiting for the
// server's answer is bounded (tls_close_wait, or the timeout if shorter).
void Client::Impl::say_goodbye() noexcept {
  try {
    transport_->async_shutdown([](const error_code&) {});
    run_until(Clock::now() + std::min<std::chrono::milliseconds>(options_.timeout, detail::tls_close_wait));
  } catch (...) {
    // Nothing to report from a goodbye; abort() closes the socket anyway.
  }
}

void Client::Impl::fail(const ClientError& error) {
  failure_ = error.what();
  abort();
  throw error;
}

void Client::Impl::require_open() const {
  if (is_open()) return;
  throw ClientError(ClientErrc::not_connected,
                    failure_.empty() ? "not connected (call connect() first)" : "connection is closed after: " + failure_);
}

void Client::Impl::connect(std::string_view host, unsigned short port, std::chrono::milliseconds timeout) {
  close();
  reader_ = detail::ResponseReader(options_.limits);
  read_end_.clear();
  peer_ = detail::peer_name(host, port);
  try {
    if (options_.tls.enabled && !tls_context_) tls_context_ = make_tls_context(options_.tls);
    transport_.emplace(io_.get_executor(), options_.tls.enabled ? tls_context_.get() : nullptr, options_.tls, host);
  } catch (const ClientError& e) {
    fail(e);
  }
  const auto deadline = Clock::now() + timeout;
  std::optional<ClientError> error;
  bool handshaking = false;
  resolver_.async_resolve(std::string(host), std::to_string(port), [&](const error_code& ec, tcp::resolver::results_type endpoints) {
    if (ec) {
      error = detail::resolve_error(ec, peer_);
      return;
    }
    asio::async_connect(transport_->socket(), endpoints, [&](const error_code& connect_ec, const tcp::endpoint&) {
      if (connect_ec) {
        error = detail::connect_error(connect_ec, peer_);
        return;
      }
      error_code ignored;
      transport_->socket().set_option(tcp::no_delay(true), ignored);
      if (!transport_->is_tls()) return;
      // The handshake runs within the same deadline as the TCP connect.
      handshaking = true;
      transport_->async_handshake([&](const error_code& handshake_ec) {
        if (handshake_ec) error = detail::handshake_error(handshake_ec, peer_, transport_->ssl());
      });
    });
  });
  if (!run_until(deadline)) fail(detail::connect_timeout_error(handshaking, peer_, timeout.count()));
  if (error) fail(*error);
  tls_established_ = transport_->is_tls();
  failure_.clear();
}

void Client::Impl::send(const Value& request) {
  require_open();
  // Bytes received while nothing was asked are not an answer to this request.
  if (outstanding_ == 0 && reader_.mid_record()) {
    fail(ClientError(ClientErrc::unexpected_response, peer_ + " sent a response no request was waiting for"));
  }
  outbox_.append(request);
  ++outstanding_;
}

void Client::Impl::start_read_while_writing(const bool& write_done) {
  transport_->async_read_some(detail::buffer_of(reader_.prepare()), [this, &write_done](const error_code& ec, std::size_t bytes) {
    reader_.commit(bytes);
    if (ec) {
      // Aborted: the write finished. Anything else ends the stream; the
      // next receive() reports it after the responses already read.
      if (ec != asio::error::operation_aborted) read_end_ = ec;
      return;
    }
    if (!write_done) start_read_while_writing(write_done);
  });
}

void Client::Impl::flush() {
  if (outbox_.empty()) return;
  require_open();
  bool write_done = false;
  error_code write_ec;
  transport_->async_write(asio::buffer(outbox_.bytes()), [&](const error_code& ec, std::size_t) {
    write_ec = ec;
    write_done = true;
    error_code ignored;
    transport_->socket().cancel(ignored);  // ends the read running alongside the write
  });
  if (!read_end_) start_read_while_writing(write_done);
  const bool in_time = run_until(Clock::now() + options_.timeout);
  outbox_.clear();
  if (!in_time) fail(detail::timeout_error("sending requests to", peer_, options_.timeout.count()));
  // A server that closed on us has usually said why: in an error record
  // (record_too_large, decode_error), or over TLS in an alert (a refused
  // client certificate). Leave reporting the close to receive(), which
  // reads on to the end of the stream and hands out what did arrive first.
  // A write failing after the read side ended is a consequence of that end.
  if (write_ec && !detail::is_peer_close(write_ec) && !read_end_) {
    fail(detail::transfer_error(write_ec, "sending to", peer_));
  }
}

void Client::Impl::read_some(Clock::time_point deadline) {
  transport_->async_read_some(detail::buffer_of(reader_.prepare()), [&](const error_code& ec, std::size_t bytes) {
    reader_.commit(bytes);
    read_end_ = ec;
  });
  if (!run_until(deadline)) {
    fail(detail::timeout_error("waiting for a response from", peer_, options_.timeout.count()));
  }
}

Value Client::Impl::receive_record() {
  if (outstanding_ == 0) throw UsageError("receive() with no request outstanding: send() one first");
  flush();
  const auto deadline = Clock::now() + options_.timeout;
  for (;;) {
    std::optional<Value> response;
    try {
      response = reader_.next();
    } catch (const ClientError& e) {
      fail(e);
    }
    if (response) {
      --outstanding_;
      return std::move(*response);
    }
    if (read_end_) {
      fail(detail::read_error(read_end_, peer_, reader_.received_any(), transport_->ssl(),
                              reader_.end_of_stream(outstanding_, peer_)));
    }
    require_open();
    read_some(deadline);
  }
}

Value Client::Impl::call(const Value& request) {
  if (outstanding_ != 0) {
    throw UsageError("call() with " + std::to_string(outstanding_) +
                     " pipelined response(s) unread: receive() them first");
  }
  send(request);
  return throw_if_error(receive_record());
}

// ---- Client: forwards to Impl ----

Client::Client(Options options) : impl_(std::make_unique<Impl>(std::move(options))) {}
Client::~Client() = default;
Client::Client(Client&&) noexcept = default;
Client& Client::operator=(Client&&) noexcept = default;

void Client::connect(std::string_view host, unsigned short port, std::chrono::milliseconds timeout) {
  impl_->connect(host, port, timeout);
}
void Client::connect(std::string_view host, unsigned short port) {
  impl_->connect(host, port, impl_->connect_timeout());
}
void Client::send(const Value& request) { impl_->send(request); }
void Client::flush() { impl_->flush(); }
Value Client::receive() { return throw_if_error(impl_->receive_record()); }
Value Client::receive_record() { return impl_->receive_record(); }
Value Client::call(const Value& request) { return impl_->call(request); }
void Client::set_timeout(std::chrono::milliseconds timeout) noexcept { impl_->set_timeout(timeout); }
std::size_t Client::outstanding() const noexcept { return impl_->outstanding(); }
bool Client::is_open() const noexcept { return impl_->is_open(); }
void Client::close() noexcept { impl_->close(); }

}  // namespace crous::client
