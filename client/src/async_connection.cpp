#include "async_connection.hpp"

#include <exception>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/write.hpp>

#include "crous/flux.hpp"
#include "hello.hpp"
#include "net_error.hpp"

namespace crous::client::detail {

namespace asio = boost::asio;
using boost::system::error_code;

AsyncConnection::AsyncConnection(const asio::any_io_executor& executor, const Options& options)
    : strand_(asio::make_strand(executor)),
      resolver_(strand_),
      timer_(strand_),
      backoff_(strand_),
      options_(options),
      reconnector_(options.reconnect) {}

void AsyncConnection::connect(const std::string& host, unsigned short port, std::unique_ptr<Completion> completion) {
  if (state_ != State::idle) {
    completion->complete(std::make_exception_ptr(UsageError("async_connect: this client already connected once")), {});
    return;
  }
  state_ = State::connecting;
  connect_completion_ = std::move(completion);
  host_ = host;
  port_ = port;
  peer_ = peer_name(host, port);
  try {
    if (options_.tls.enabled) tls_context_ = make_tls_context(options_.tls);
  } catch (const ClientError& e) {
    return end(e, false);
  }
  // The one wait check_deadline() keeps re-arming until the end.
  timer_.expires_at(Clock::time_point::max());
  timer_.async_wait([self = shared_from_this()](const error_code&) { self->check_deadline(); });
  start_attempt();
}

// ---- making a connection: the first, or a reconnect's attempt ----

void AsyncConnection::start_attempt() {
  step_ = ConnectStep::tcp;
  try {
    link_ = std::make_shared<Link>(strand_, tls_context_.get(), options_, host_);
  } catch (const ClientError& e) {
    return attempt_failed(e);
  }
  connect_deadline_ = Clock::now() + options_.connect_timeout;
  wake_timer(connect_deadline_);
  resolver_.async_resolve(host_, std::to_string(port_), [self = shared_from_this(), link = link_](
                                                            const error_code& ec, const tcp::resolver::results_type& endpoints) {
    self->on_resolved(link, ec, endpoints);
  });
}

void AsyncConnection::on_resolved(const LinkPtr& link, const error_code& ec, const tcp::resolver::results_type& endpoints) {
  if (link != link_ || !attempting()) return;  // timed out or closed meanwhile
  if (ec) return attempt_failed(resolve_error(ec, peer_));
  asio::async_connect(link->transport.socket(), endpoints, [self = shared_from_this(), link](const error_code& connect_ec, const tcp::endpoint&) {
    self->on_connected(link, connect_ec);
  });
}

void AsyncConnection::on_connected(const LinkPtr& link, const error_code& ec) {
  if (link != link_ || !attempting()) return;
  if (ec) return attempt_failed(connect_error(ec, peer_));
  error_code ignored;
  link->transport.socket().set_option(tcp::no_delay(true), ignored);
  if (!link->transport.is_tls()) return start_hello(link);
  // Still attempting: the connect deadline covers the handshake and the hello.
  step_ = ConnectStep::tls_handshake;
  link->transport.async_handshake([self = shared_from_this(), link](const error_code& handshake_ec) {
    self->on_handshake(link, handshake_ec);
  });
}

void AsyncConnection::on_handshake(const LinkPtr& link, const error_code& ec) {
  if (link != link_ || !attempting()) return;
  if (ec) return attempt_failed(handshake_error(ec, peer_, link->transport.ssl()));
  start_hello(link);
}

void AsyncConnection::start_hello(const LinkPtr& link) {
  if (options_.compression == Compression::none) return on_open();
  step_ = ConnectStep::hello;
  // The handler holds the link: the hello works on its transport and streams.
  async_hello(link->transport, link->reader, link->outbox, options_.compression, peer_,
              [self = shared_from_this(), link](const std::optional<ClientError>& error, Compression chosen) {
                self->on_hello(link, error, chosen);
              });
}

void AsyncConnection::on_hello(const LinkPtr& link, const std::optional<ClientError>& error, Compression chosen) {
  if (link != link_ || !attempting()) return;  // timed out or closed meanwhile
  if (error) return attempt_failed(*error);
  compression_.store(chosen, std::memory_order_release);
  on_open();
}

void AsyncConnection::attempt_failed(const ClientError& error) {
  // The first connect is not retried: the caller learns at once.
  if (state_ == State::connecting) return end(error, false);
  if (link_) link_->transport.close();
  link_.reset();
  resolver_.cancel();
  const auto wait = reconnector_.next_wait(error);
  if (!wait) return give_up(error);
  backoff_.expires_after(*wait);
  backoff_.async_wait([self = shared_from_this()](const error_code& ec) {
    if (!ec && self->state_ == State::reconnecting) self->start_attempt();
  });
}

void AsyncConnection::give_up(const ClientError& last) {
  const ClientError gave_up = reconnector_.gave_up(last, peer_);
  failure_ = gave_up;
  state_ = State::lost;  // the next call tries again
  auto calls = std::exchange(pending_, {});
  unwritten_ = 0;
  for (auto& call : calls) {
    call.completion->complete(std::make_exception_ptr(reconnector_.after_give_up(call.request, gave_up)), {});
  }
}

void AsyncConnection::on_open() {
  const bool first = state_ == State::connecting;
  state_ = State::open;
  do_read();
  if (first) {
    std::exchange(connect_completion_, nullptr)->complete(nullptr, {});
    return;
  }
  reconnector_.reconnected();
  // The calls carried over have their whole timeout on the new connection:
  // the reconnect had bounds of its own.
  const auto deadline = Clock::now() + options_.timeout;
  for (auto& call : pending_) call.deadline = deadline;
  if (!pending_.empty()) wake_timer(deadline);
  do_write();
}

// ---- calls ----

void AsyncConnection::call(const Value& request, const CallOptions& options, std::unique_ptr<Completion> completion) {
  if (state_ == State::idle || state_ == State::connecting || state_ == State::closed) {
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
  // Open, or (policy on) lost or reconnecting: the call waits for the new
  // connection.
  OutgoingRequest outgoing;
  try {
    outgoing = reconnector_.prepare(request, options);
    if (!reconnector_.enabled()) link_->outbox.append(request);  // straight into the next write
  } catch (...) {
    completion->complete(std::current_exception(), {});
    return;
  }
  pending_.push_back({std::move(completion), Clock::now() + options_.timeout, std::move(outgoing)});
  ++unwritten_;
  if (state_ == State::lost) return start_reconnect();
  if (state_ != State::open) return;
  if (pending_.size() == 1) wake_timer(pending_.front().deadline);
  do_write();
}

// One write in flight; requests made meanwhile pile up in the outbox and go
// out together in the next write.
void AsyncConnection::do_write() {
  if (state_ != State::open || link_->write_in_flight || unwritten_ == 0) return;
  const auto unwritten = static_cast<std::deque<Pending>::difference_type>(unwritten_);
  for (auto call = pending_.end() - unwritten; call != pending_.end(); ++call) {
    reconnector_.hand_over(call->request, link_->outbox);
  }
  unwritten_ = 0;
  Link& link = *link_;
  std::swap(link.writing, link.outbox.wire());
  link.outbox.clear();
  link.write_in_flight = true;
  link.transport.async_write(asio::buffer(link.writing), [self = shared_from_this(), link = link_](const error_code& ec, std::size_t) {
    link->write_in_flight = false;
    if (link != self->link_ || self->state_ != State::open) return;
    if (ec) {
      // A server that closed on us usually sent an error record first; the
      // read side delivers it, then reports the close.
      if (!is_peer_close(ec)) self->lose(transfer_error(ec, "sending to", self->peer_));
      return;
    }
    self->do_write();
  });
}

void AsyncConnection::do_read() {
  link_->transport.async_read_some(buffer_of(link_->reader.prepare()), [self = shared_from_this(), link = link_](
                                                                           const error_code& ec, std::size_t bytes) {
    self->on_read(link, ec, bytes);
  });
}

void AsyncConnection::on_read(const LinkPtr& link, const error_code& ec, std::size_t bytes) {
  if (link != link_ || state_ != State::open) return;
  link->reader.commit(bytes);
  deliver_responses();
  if (link != link_ || state_ != State::open) return;
  if (!ec) return do_read();
  lose(read_error(ec, peer_, link->reader.received_any(), link->transport.ssl(), link->reader.end_of_stream(written(), peer_)));
}

void AsyncConnection::deliver_responses() {
  for (;;) {
    std::optional<Value> response;
    try {
      response = link_->reader.next();
    } catch (const ClientError& e) {
      return written() != 0 ? fail_front(e) : lose(e);
    }
    if (!response) return;
    // The server's goodbye may come while no call is waiting: it answers
    // nothing, so it is no unexpected response either.
    if (reconnector_.ends_connection(*response)) return lose(reconnector_.closed_by_server(*response, peer_));
    if (written() == 0) {
      return lose(ClientError(ClientErrc::unexpected_response, peer_ + " sent a response no request was waiting for"));
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

// ---- losing the connection ----

void AsyncConnection::lose(const ClientError& cause) {
  // A refused TLS session is not a connection lost: every call learns of
  // the refusal (see call()).
  if (!reconnector_.enabled() || cause.code() == ClientErrc::tls_handshake_failed) return end(cause, false);
  reconnector_.lost();
  failure_ = cause;
  link_->transport.close();
  link_.reset();
  // In order: each call written on the lost connection fails now with
  // not_answered or (idempotent) is carried over with the calls not
  // written yet, to go out on the new connection in the same order.
  std::deque<Pending> carried;
  for (auto& call : pending_) {
    if (auto error = reconnector_.after_loss(call.request, cause)) {
      call.completion->complete(std::make_exception_ptr(std::move(*error)), {});
    } else {
      carried.push_back(std::move(call));
    }
  }
  pending_ = std::move(carried);
  unwritten_ = pending_.size();
  if (pending_.empty()) {
    state_ = State::lost;  // reconnect when a call needs it
    return;
  }
  start_reconnect();
}

void AsyncConnection::fail_front(const ClientError& error) {
  if (!reconnector_.enabled()) return end(error, false);
  auto completion = std::move(pending_.front().completion);
  if (pending_.size() == unwritten_) --unwritten_;
  pending_.pop_front();
  completion->complete(std::make_exception_ptr(error), {});
  lose(error);
}

void AsyncConnection::start_reconnect() {
  state_ = State::reconnecting;
  reconnector_.begin();
  start_attempt();
}

// ---- time ----

// The timer always waits for the earliest deadline that matters: that of
// the connect attempt, or that of the oldest call (responses come in order,
// so it is the one due first). It is re-armed lazily: a wake-up finding the
// oldest call younger than its deadline just waits again.
void AsyncConnection::check_deadline() {
  if (state_ == State::closed) return;
  const auto now = Clock::now();
  if (attempting() && connect_deadline_ <= now) {
    attempt_failed(connect_timeout_error(step_, peer_, options_.connect_timeout.count()));
  } else if (state_ == State::open && !pending_.empty() && pending_.front().deadline <= now) {
    fail_front(timeout_error("waiting for a response from", peer_, options_.timeout.count()));
  }
  if (state_ == State::closed) return;
  auto next = Clock::time_point::max();
  if (attempting()) next = connect_deadline_;
  if (state_ == State::open && !pending_.empty()) next = pending_.front().deadline;
  if (timer_.expiry() != next) timer_.expires_at(next);
  timer_.async_wait([self = shared_from_this()](const error_code&) { self->check_deadline(); });
}

void AsyncConnection::wake_timer(Clock::time_point deadline) {
  // Moving the expiry cancels the wait, whose handler re-arms; an earlier
  // expiry is left alone, its wake-up re-arms for what is due then.
  if (deadline < timer_.expiry()) timer_.expires_at(deadline);
}

// ---- the end ----

void AsyncConnection::close() { end(ClientError(ClientErrc::not_connected, "the client was closed"), true); }

void AsyncConnection::end(const ClientError& error, bool goodbye) {
  if (state_ == State::closed) return;
  const bool connecting = state_ == State::connecting;
  // A goodbye needs a sound session and no write in flight: close_notify
  // must not land in the middle of a half-written TLS record.
  goodbye = goodbye && state_ == State::open && link_->transport.is_tls() && !link_->write_in_flight;
  state_ = State::closed;
  failure_ = error;
  resolver_.cancel();
  timer_.cancel();
  backoff_.cancel();
  if (goodbye) {
    say_goodbye();
  } else if (link_) {
    link_->transport.close();
  }
  const auto failure = std::make_exception_ptr(error);
  if (connecting) std::exchange(connect_completion_, nullptr)->complete(failure, {});
  for (auto& pending : pending_) pending.completion->complete(failure, {});
  pending_.clear();
  unwritten_ = 0;
}

// close_notify, then the socket closes when the server answers with its
// own or after tls_close_wait, whichever comes first. The read kept pending
// is cancelled first; its handler sees State::closed and stops.
void AsyncConnection::say_goodbye() {
  const LinkPtr link = link_;
  error_code ignored;
  link->transport.socket().cancel(ignored);
  timer_.expires_after(tls_close_wait);
  timer_.async_wait([link](const error_code&) { link->transport.close(); });
  link->transport.async_shutdown([self = shared_from_this(), link](const error_code&) {
    self->timer_.cancel();
    link->transport.close();
  });
}

}  // namespace crous::client::detail
