#include "async_connection.hpp"

#include <exception>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "crous/flux.hpp"
#include "net_error.hpp"

namespace crous::client::detail {

namespace asio = boost::asio;
using boost::system::error_code;

AsyncConnection::AsyncConnection(const asio::any_io_executor& executor, const Options& options)
    : strand_(asio::make_strand(executor)),
      resolver_(strand_),
      timer_(strand_),
      options_(options),
      reader_(options.limits) {}

void AsyncConnection::connect(const std::string& host, unsigned short port, std::unique_ptr<Completion> completion) {
  if (state_ != State::idle) {
    completion->complete(std::make_exception_ptr(UsageError("async_connect: this client already connected once")), {});
    return;
  }
  state_ = State::connecting;
  connect_completion_ = std::move(completion);
  peer_ = peer_name(host, port);
  try {
    if (options_.tls.enabled) tls_context_ = make_tls_context(options_.tls);
    transport_.emplace(strand_, tls_context_.get(), options_.tls, host);
  } catch (const ClientError& e) {
    return fail(e);
  }
  connect_deadline_ = Clock::now() + options_.connect_timeout;
  timer_.expires_at(connect_deadline_);
  timer_.async_wait([self = shared_from_this()](const error_code&) { self->check_deadline(); });
  resolver_.async_resolve(host, std::to_string(port),
                          [self = shared_from_this()](const error_code& ec, const tcp::resolver::results_type& endpoints) {
                            self->on_resolved(ec, endpoints);
                          });
}

void AsyncConnection::on_resolved(const error_code& ec, const tcp::resolver::results_type& endpoints) {
  if (state_ != State::connecting) return;  // timed out or closed meanwhile
  if (ec) return fail(resolve_error(ec, peer_));
  asio::async_connect(transport_->socket(), endpoints, [self = shared_from_this()](const error_code& connect_ec, const tcp::endpoint&) {
    self->on_connected(connect_ec);
  });
}

void AsyncConnection::on_connected(const error_code& ec) {
  if (state_ != State::connecting) return;
  if (ec) return fail(connect_error(ec, peer_));
  error_code ignored;
  transport_->socket().set_option(tcp::no_delay(true), ignored);
  if (!transport_->is_tls()) return on_open();
  // Still State::connecting: the connect deadline covers the handshake.
  handshaking_ = true;
  transport_->async_handshake([self = shared_from_this()](const error_code& handshake_ec) {
    self->on_handshake(handshake_ec);
  });
}

void AsyncConnection::on_handshake(const error_code& ec) {
  if (state_ != State::connecting) return;
  if (ec) return fail(handshake_error(ec, peer_, transport_->ssl()));
  on_open();
}

void AsyncConnection::on_open() {
  state_ = State::open;
  do_read();
  std::exchange(connect_completion_, nullptr)->complete(nullptr, {});
}

void AsyncConnection::call(const Value& request, std::unique_ptr<Completion> completion) {
  if (state_ != State::open) {
    // A refused TLS session is reported as itself: over TLS 1.3 the refusal
    // of a client certificate arrives after async_connect completed, before
    // or after the first call was made, and that race must not change the
    // error a caller sees.
    const bool refused = failure_ && failure_->code() == ClientErrc::tls_handshake_failed;
    const ClientError error = refused    ? *failure_
                              : failure_ ? ClientError(ClientErrc::not_connected, std::string("connection is closed after: ") + failure_->what())
                                         : ClientError(ClientErrc::not_connected, "not connected (async_connect first)");
    completion->complete(std::make_exception_ptr(error), {});
    return;
  }
  try {
    outbox_.append(request);
  } catch (...) {
    completion->complete(std::current_exception(), {});
    return;
  }
  pending_.push_back({std::move(completion), Clock::now() + options_.timeout});
  if (pending_.size() == 1) wake_timer(pending_.front().deadline);
  do_write();
}

// One write in flight; requests made meanwhile pile up in outbox_ and go
// out together in the next write.
void AsyncConnection::do_write() {
  if (write_in_flight_ || outbox_.empty()) return;
  std::swap(writing_, outbox_.bytes());
  outbox_.clear();
  write_in_flight_ = true;
  transport_->async_write(asio::buffer(writing_), [self = shared_from_this()](const error_code& ec, std::size_t) {
    self->write_in_flight_ = false;
    if (self->state_ != State::open) return;
    if (ec) {
      // A server that closed on us usually sent an error record first; the
      // read side delivers it, then reports the close.
      if (!is_peer_close(ec)) self->fail(transfer_error(ec, "sending to", self->peer_));
      return;
    }
    self->do_write();
  });
}

void AsyncConnection::do_read() {
  transport_->async_read_some(buffer_of(reader_.prepare()), [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
    self->on_read(ec, bytes);
  });
}

void AsyncConnection::on_read(const error_code& ec, std::size_t bytes) {
  if (state_ != State::open) return;
  reader_.commit(bytes);
  deliver_responses();
  if (state_ != State::open) return;
  if (!ec) return do_read();
  fail(read_error(ec, peer_, reader_.received_any(), transport_->ssl(), reader_.end_of_stream(pending_.size(), peer_)));
}

void AsyncConnection::deliver_responses() {
  for (;;) {
    std::optional<Value> response;
    try {
      response = reader_.next();
    } catch (const ClientError& e) {
      return fail(e);
    }
    if (!response) return;
    if (pending_.empty()) {
      return fail(ClientError(ClientErrc::unexpected_response, peer_ + " sent a response no request was waiting for"));
    }
    auto completion = std::move(pending_.front().completion);
    pending_.pop_front();
    if (auto error = server_error_in(*response)) {
      completion->complete(std::make_exception_ptr(std::move(*error)), {});
    } else {
      completion->complete(nullptr, std::move(*response));
    }
  }
}

// The timer always waits for the earliest deadline that matters: the
// connect deadline, or that of the oldest call (responses come in order, so
// it is the one due first). It is re-armed lazily: a wake-up finding the
// oldest call younger than its deadline just waits again.
void AsyncConnection::check_deadline() {
  if (state_ == State::closed) return;
  const auto now = Clock::now();
  if (state_ == State::connecting && connect_deadline_ <= now) {
    return fail(connect_timeout_error(handshaking_, peer_, options_.connect_timeout.count()));
  }
  if (state_ == State::open && !pending_.empty() && pending_.front().deadline <= now) {
    return fail(timeout_error("waiting for a response from", peer_, options_.timeout.count()));
  }
  auto next = Clock::time_point::max();
  if (state_ == State::connecting) next = connect_deadline_;
  if (state_ == State::open && !pending_.empty()) next = pending_.front().deadline;
  if (timer_.expiry() != next) timer_.expires_at(next);
  timer_.async_wait([self = shared_from_this()](const error_code&) { self->check_deadline(); });
}

void AsyncConnection::wake_timer(Clock::time_point deadline) {
  // Moving the expiry cancels the wait, whose handler re-arms; an earlier
  // expiry is left alone, its wake-up re-arms for the oldest call.
  if (deadline < timer_.expiry()) timer_.expires_at(deadline);
}

void AsyncConnection::fail(const ClientError& error) { end(error, false); }

void AsyncConnection::close() { end(ClientError(ClientErrc::not_connected, "the client was closed"), true); }

void AsyncConnection::end(const ClientError& error, bool goodbye) {
  if (state_ == State::closed) return;
  const bool connecting = state_ == State::connecting;
  // A goodbye needs a sound session and no write in flight: close_notify
  // must not land in the middle of a half-written TLS record.
  goodbye = goodbye && state_ == State::open && transport_->is_tls() && !write_in_flight_;
  state_ = State::closed;
  failure_ = error;
  resolver_.cancel();
  timer_.cancel();
  if (goodbye) {
    say_goodbye();
  } else if (transport_) {
    transport_->close();
  }
  const auto failure = std::make_exception_ptr(error);
  if (connecting) std::exchange(connect_completion_, nullptr)->complete(failure, {});
  for (auto& pending : pending_) pending.completion->complete(failure, {});
  pending_.clear();
  outbox_.clear();
}

// close_notify, then the socket closes when the server answers with its
// own or after tls_close_wait, whichever comes first. The read kept pending
// is cancelled first; its handler sees State::closed and stops.
void AsyncConnection::say_goodbye() {
  error_code ignored;
  transport_->socket().cancel(ignored);
  timer_.expires_after(tls_close_wait);
  timer_.async_wait([self = shared_from_this()](const error_code&) { self->transport_->close(); });
  transport_->async_shutdown([self = shared_from_this()](const error_code&) {
    self->timer_.cancel();
    self->transport_->close();
  });
}

}  // namespace crous::client::detail
