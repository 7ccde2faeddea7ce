#include "crous/client/client.hpp"

#include <algorithm>
#include <deque>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

#include "crous/client/tls.hpp"
#include "crous/flux.hpp"
#include "hello.hpp"
#include "net_error.hpp"
#include "reconnector.hpp"
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
//
// Each request sent is a Slot until receive() hands out its outcome, in
// order. Without the reconnect policy a slot only waits for its response on
// the one connection. With it, a lost connection settles its slots
// (responses that arrived are kept, the others become not_answered or, if
// idempotent, unwritten again) and the next flush() opens a new connection
// for the unwritten ones (detail::Reconnector has the rules).
class Client::Impl {
 public:
  explicit Impl(Options options)
      : options_(std::move(options)), reader_(options_.limits), reconnector_(options_.reconnect) {}
  // Says goodbye like close(): a TLS server then sees a clean end.
  ~Impl() { close(); }

  void connect(std::string_view host, unsigned short port, std::chrono::milliseconds timeout);
  void send(const Value& request, const CallOptions& options);
  void flush();
  Value receive_record();
  Value call(const Value& request, const CallOptions& options);

  void set_timeout(std::chrono::milliseconds timeout) noexcept { options_.timeout = timeout; }
  std::chrono::milliseconds connect_timeout() const noexcept { return options_.connect_timeout; }
  std::size_t outstanding() const noexcept { return slots_.size(); }
  bool is_open() const noexcept { return transport_ && transport_->is_open(); }
  Compression compression() const noexcept { return compression_; }
  ReconnectStats reconnect_stats() const noexcept { return reconnector_.stats(); }
  void close() noexcept;

 private:
  // One request from send() until receive() hands out its outcome.
  struct Slot {
    detail::OutgoingRequest request;
    std::optional<Value> response{};     // arrived on a connection lost before receive() took it
    std::optional<ClientError> error{};  // the outcome is this error (not_answered, a reconnect that gave up, ...)
    bool settled() const noexcept { return response || error; }
    bool awaiting() const noexcept { return request.written && !settled(); }
  };

  // Runs the io_context until its work is done or `deadline`; false on
  // timeout, after the socket was closed and the aborted handlers ran.
  bool run_until(Clock::time_point deadline);
  void require_open() const;
  // Open, or lost with a reconnect to come (policy on).
  void require_usable() const;
  // Resolves, connects, shakes hands, says hello: one connection to
  // host_:port_. Throws its ClientError with nothing left open.
  void open_connection(std::chrono::milliseconds timeout);
  // Closes the connection at once, without a TLS goodbye: after a failure
  // (the session may be broken), and as close()'s last step.
  void drop_connection() noexcept;
  // drop_connection(), and every request sent is forgotten.
  void abort() noexcept;
  void say_goodbye() noexcept;
  [[noreturn]] void fail(const ClientError& error);
  // The connection ended (`cause`). Policy off (or a refused TLS session):
  // fail(cause). On: responses already read are kept for their slots, the
  // other slots written on it are settled by the Reconnector, and the
  // connection is dropped; the next flush() reconnects.
  void lose(const ClientError& cause);
  void forget_connection(const ClientError& cause);
  void take_arrived_responses();
  // The front slot fails with `error` (a timeout, a malformed response) and
  // the connection is dropped behind it.
  void fail_front(const ClientError& error);
  // Opens a new connection by the policy; false when it gave up (the
  // unwritten slots then hold its error).
  bool reconnect();
  void notice_close();
  void write_unwritten();
  void start_read_while_writing(const bool& write_done);
  // One read; false on timeout (the connection is closed then).
  bool read_some(Clock::time_point deadline);
  void read_front(Clock::time_point deadline);
  Value take_front();
  std::size_t awaiting() const noexcept;
  ClientError read_end_error();
  // What bytes that arrived while no response was due stand for: the
  // server's goodbye (policy on), or else an unexpected response.
  ClientError unsolicited();

  asio::io_context io_;
  tcp::resolver resolver_{io_};
  Options options_;
  std::shared_ptr<asio::ssl::context> tls_context_;  // made at the first TLS connect, then reused
  std::optional<detail::Transport> transport_;       // one per connection
  bool tls_established_ = false;                     // handshake done, session still sound
  detail::ResponseReader reader_;
  detail::RequestBuffer outbox_;
  Compression compression_ = Compression::none;  // what the server chose for this connection
  std::deque<Slot> slots_;                       // sent, outcome not handed out yet; in request order
  std::size_t unwritten_ = 0;                    // slots not settled and not handed to a write yet
  std::string host_;
  unsigned short port_ = 0;
  std::string peer_ = "(not connected)";
  detail::Reconnector reconnector_;
  bool reconnectable_ = false;  // policy on, connected once, not closed by the user
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

void Client::Impl::drop_connection() noexcept {
  if (transport_) transport_->close();
  tls_established_ = false;
  outbox_.reset();
}

void Client::Impl::abort() noexcept {
  drop_connection();
  slots_.clear();
  unwritten_ = 0;
}

void Client::Impl::close() noexcept {
  reconnectable_ = false;
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
  reconnectable_ = false;
  abort();
  throw error;
}

void Client::Impl::require_open() const {
  if (is_open()) return;
  throw ClientError(ClientErrc::not_connected,
                    failure_.empty() ? "not connected (call connect() first)" : "connection is closed after: " + failure_);
}

void Client::Impl::require_usable() const {
  if (!reconnectable_) require_open();
}

void Client::Impl::connect(std::string_view host, unsigned short port, std::chrono::milliseconds timeout) {
  close();
  host_ = host;
  port_ = port;
  try {
    open_connection(timeout);
  } catch (const ClientError& e) {
    failure_ = e.what();
    throw;
  }
  failure_.clear();
  reconnectable_ = reconnector_.enabled();
}

void Client::Impl::open_connection(std::chrono::milliseconds timeout) {
  drop_connection();
  reader_ = detail::ResponseReader(options_.limits);
  compression_ = Compression::none;
  read_end_.clear();
  peer_ = detail::peer_name(host_, port_);
  try {
    if (options_.tls.enabled && !tls_context_) tls_context_ = make_tls_context(options_.tls);
    transport_.emplace(io_.get_executor(), options_.tls.enabled ? tls_context_.get() : nullptr, options_.tls, host_);
  } catch (const ClientError&) {
    drop_connection();
    throw;
  }
  const auto deadline = Clock::now() + timeout;
  std::optional<ClientError> error;
  auto step = detail::ConnectStep::tcp;
  // The last step, once the byte stream (TCP, or TLS over it) is up.
  auto hello = [&] {
    if (options_.compression == Compression::none) return;
    step = detail::ConnectStep::hello;
    detail::async_hello(*transport_, reader_, outbox_, options_.compression, peer_,
                        [&](std::optional<ClientError> hello_error, Compression chosen) {
                          if (hello_error) error = std::move(hello_error);
                          compression_ = chosen;
                        });
  };
  resolver_.async_resolve(host_, std::to_string(port_), [&](const error_code& ec, tcp::resolver::results_type endpoints) {
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
      if (!transport_->is_tls()) return hello();
      // The handshake and the hello run within the same deadline as the TCP connect.
      step = detail::ConnectStep::tls_handshake;
      transport_->async_handshake([&](const error_code& handshake_ec) {
        if (handshake_ec) {
          error = detail::handshake_error(handshake_ec, peer_, transport_->ssl());
          return;
        }
        hello();
      });
    });
  });
  if (!run_until(deadline)) error = detail::connect_timeout_error(step, peer_, timeout.count());
  if (error) {
    drop_connection();
    throw *error;
  }
  tls_established_ = transport_->is_tls();
}

bool Client::Impl::reconnect() {
  reconnector_.begin();
  for (;;) {
    try {
      open_connection(options_.connect_timeout);
      reconnector_.reconnected();
      return true;
    } catch (const ClientError& e) {
      const auto wait = reconnector_.next_wait(e);
      if (wait) {
        std::this_thread::sleep_for(*wait);
        continue;
      }
      const ClientError gave_up = reconnector_.gave_up(e, peer_);
      failure_ = gave_up.what();
      for (auto& slot : slots_) {
        if (!slot.settled() && !slot.request.written) slot.error = reconnector_.after_give_up(slot.request, gave_up);
      }
      unwritten_ = 0;
      return false;
    }
  }
}

void Client::Impl::send(const Value& request, const CallOptions& options) {
  require_usable();
  // Bytes received while nothing was asked are not an answer to this request.
  if (is_open() && reader_.mid_record() && awaiting() == 0) lose(unsolicited());
  detail::OutgoingRequest outgoing = reconnector_.prepare(request, options);
  if (!reconnector_.enabled()) outbox_.append(request);  // straight into the next write
  slots_.push_back(Slot{.request = std::move(outgoing)});
  ++unwritten_;
}

std::size_t Client::Impl::awaiting() const noexcept {
  return static_cast<std::size_t>(std::count_if(slots_.begin(), slots_.end(), [](const Slot& slot) { return slot.awaiting(); }));
}

void Client::Impl::lose(const ClientError& cause) {
  if (!reconnector_.enabled() || cause.code() == ClientErrc::tls_handshake_failed) fail(cause);
  take_arrived_responses();
  forget_connection(cause);
}

void Client::Impl::take_arrived_responses() {
  for (auto& slot : slots_) {
    if (!slot.awaiting()) continue;
    std::optional<Value> response;
    try {
      response = reader_.next();
    } catch (const ClientError& e) {
      slot.error = e;  // its answer arrived, garbled
      return;
    }
    if (!response || reconnector_.ends_connection(*response)) return;
    slot.response = std::move(response);
  }
}

void Client::Impl::forget_connection(const ClientError& cause) {
  reconnector_.lost();
  failure_ = cause.what();
  unwritten_ = 0;
  for (auto& slot : slots_) {
    if (slot.settled()) continue;
    if (auto error = reconnector_.after_loss(slot.request, cause)) {
      slot.error = std::move(error);
    } else {
      ++unwritten_;
    }
  }
  drop_connection();
}

void Client::Impl::fail_front(const ClientError& error) {
  if (!reconnector_.enabled()) fail(error);
  slots_.front().error = error;
  forget_connection(error);
}

// With the policy on, just before writing: reads what has already arrived,
// without waiting, so that a close the server made while this client was
// not reading (a drain, an idle timeout, a restart) is noticed before
// requests are written into the dead connection. They are then not sent
// and go out on a new one. A close arriving after this is a race no client
// can win: what is written then is not_answered (or resent, if idempotent).
void Client::Impl::notice_close() {
  constexpr int max_reads = 16;  // bounds the time spent when responses stream in meanwhile
  for (int reads = 0; reads < max_reads && !read_end_; ++reads) {
    bool done = false;
    transport_->async_read_some(detail::buffer_of(reader_.prepare()), [&](const error_code& ec, std::size_t bytes) {
      reader_.commit(bytes);
      done = true;
      if (ec && ec != asio::error::operation_aborted) read_end_ = ec;
    });
    io_.restart();
    io_.poll();
    if (!done) {
      // Nothing more has arrived: the connection is still up.
      error_code ignored;
      transport_->socket().cancel(ignored);
      io_.restart();
      io_.run();
      break;
    }
  }
  take_arrived_responses();  // first, so that an error counts only the requests left unanswered
  if (reader_.mid_record() && awaiting() == 0) {
    lose(unsolicited());
  } else if (read_end_) {
    lose(read_end_error());
  }
}

ClientError Client::Impl::unsolicited() {
  std::optional<Value> record;
  try {
    record = reader_.next();
  } catch (const ClientError&) {
    // Garbled: unexpected all the same.
  }
  if (record && reconnector_.ends_connection(*record)) return reconnector_.closed_by_server(*record, peer_);
  return ClientError(ClientErrc::unexpected_response, peer_ + " sent a response no request was waiting for");
}

ClientError Client::Impl::read_end_error() {
  return detail::read_error(read_end_, peer_, reader_.received_any(), transport_->ssl(),
                            reader_.end_of_stream(awaiting(), peer_));
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
  if (unwritten_ == 0) return;
  require_usable();
  // More than one round only with the policy on, after a loss; each loss
  // settles or resends (a bounded number of times) the slots written.
  while (unwritten_ != 0) {
    if (reconnector_.enabled()) {
      if (is_open()) notice_close();
      if (!is_open() && !reconnect()) return;  // the unwritten slots now hold its error
    }
    write_unwritten();
  }
}

void Client::Impl::write_unwritten() {
  // The unwritten slots are the last unsettled ones: find the first.
  auto first = slots_.end();
  for (std::size_t found = 0; found < unwritten_;) {
    --first;
    if (!first->settled()) ++found;
  }
  for (auto slot = first; slot != slots_.end(); ++slot) {
    if (!slot->settled()) reconnector_.hand_over(slot->request, outbox_);
  }
  unwritten_ = 0;
  bool write_done = false;
  error_code write_ec;
  transport_->async_write(asio::buffer(outbox_.wire()), [&](const error_code& ec, std::size_t) {
    write_ec = ec;
    write_done = true;
    error_code ignored;
    transport_->socket().cancel(ignored);  // ends the read running alongside the write
  });
  if (!read_end_) start_read_while_writing(write_done);
  const bool in_time = run_until(Clock::now() + options_.timeout);
  outbox_.clear();
  if (!in_time) return lose(detail::timeout_error("sending requests to", peer_, options_.timeout.count()));
  // A server that closed on us has usually said why: in an error record
  // (record_too_large, decode_error), or over TLS in an alert (a refused
  // client certificate). Leave reporting the close to receive(), which
  // reads on to the end of the stream and hands out what did arrive first.
  // A write failing after the read side ended is a consequence of that end.
  if (write_ec && !detail::is_peer_close(write_ec) && !read_end_) {
    lose(detail::transfer_error(write_ec, "sending to", peer_));
  }
}

bool Client::Impl::read_some(Clock::time_point deadline) {
  transport_->async_read_some(detail::buffer_of(reader_.prepare()), [&](const error_code& ec, std::size_t bytes) {
    reader_.commit(bytes);
    read_end_ = ec;
  });
  return run_until(deadline);
}

// One step towards the front slot's outcome: a response taken from what was
// read, the end of the connection, or one more read.
void Client::Impl::read_front(Clock::time_point deadline) {
  std::optional<Value> response;
  try {
    response = reader_.next();
  } catch (const ClientError& e) {
    return fail_front(e);
  }
  if (response) {
    if (reconnector_.ends_connection(*response)) return lose(reconnector_.closed_by_server(*response, peer_));
    slots_.front().response = std::move(response);
    return;
  }
  if (read_end_) return lose(read_end_error());
  require_open();
  if (!read_some(deadline)) fail_front(detail::timeout_error("waiting for a response from", peer_, options_.timeout.count()));
}

Value Client::Impl::take_front() {
  Slot slot = std::move(slots_.front());
  slots_.pop_front();
  if (slot.error) throw *slot.error;
  return std::move(*slot.response);
}

Value Client::Impl::receive_record() {
  if (slots_.empty()) throw UsageError("receive() with no request outstanding: send() one first");
  for (;;) {
    if (slots_.front().settled()) return take_front();
    flush();
    // Each wait for the front's response has the whole timeout, also after
    // a reconnect wrote it again.
    const auto deadline = Clock::now() + options_.timeout;
    while (slots_.front().awaiting()) read_front(deadline);
  }
}

Value Client::Impl::call(const Value& request, const CallOptions& options) {
  if (!slots_.empty()) {
    throw UsageError("call() with " + std::to_string(slots_.size()) +
                     " pipelined response(s) unread: receive() them first");
  }
  send(request, options);
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
void Client::send(const Value& request, const CallOptions& options) { impl_->send(request, options); }
void Client::flush() { impl_->flush(); }
Value Client::receive() { return throw_if_error(impl_->receive_record()); }
Value Client::receive_record() { return impl_->receive_record(); }
Value Client::call(const Value& request, const CallOptions& options) { return impl_->call(request, options); }
void Client::set_timeout(std::chrono::milliseconds timeout) noexcept { impl_->set_timeout(timeout); }
std::size_t Client::outstanding() const noexcept { return impl_->outstanding(); }
bool Client::is_open() const noexcept { return impl_->is_open(); }
Compression Client::compression() const noexcept { return impl_->compression(); }
ReconnectStats Client::reconnect_stats() const noexcept { return impl_->reconnect_stats(); }
void Client::close() noexcept { impl_->close(); }

}  // namespace crous::client
