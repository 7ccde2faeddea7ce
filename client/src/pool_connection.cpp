#include "pool_connection.hpp"

#include <sys/socket.h>

#include <cerrno>
#include <utility>

#include <boost/asio/post.hpp>

#include "establish.hpp"
#include "pool_state.hpp"

namespace crous::client::detail {

namespace asio = boost::asio;
using boost::system::error_code;

PoolConnection::PoolConnection(PoolState& owner, const asio::any_io_executor& executor, const Options& options,
                               asio::ssl::context* tls, const std::string& host, unsigned short port)
    : owner_(&owner),
      options_(options),
      host_(host),
      port_(port),
      peer_(peer_name(host, port)),
      resolver_(executor),
      connect_timer_(executor),
      reader_(options.limits) {
  transport_.emplace(executor, tls, options.tls, host);
}

void PoolConnection::start() {
  connect_timer_.expires_after(options_.connect_timeout);
  connect_timer_.async_wait([self = shared_from_this()](const error_code& ec) { self->on_connect_timer(ec); });
  async_establish(*transport_, resolver_, host_, port_, reader_, outbox_, options_.compression, peer_, step_,
                  [self = shared_from_this()](const std::optional<ClientError>& error, Compression) {
                    if (self->state_ != State::connecting) return;  // timed out or closed meanwhile
                    if (error) return self->fail(*error);
                    self->on_open();
                  });
}

void PoolConnection::on_open() {
  state_ = State::open;
  connect_timer_.cancel();
  // Compressed: the requests added while connecting enter the stream now
  // that the hello has chosen it.
  // One cancelled meanwhile, or that cannot be encoded, is never sent, so
  // no response is waited for.
  std::erase_if(calls_, [this](const PoolCallPtr& call) {
    if (call->encoded) return false;
    call->encoded = true;
    if (!call->live()) return true;
    try {
      outbox_.append(call->request);
    } catch (...) {
      owner_->failed(*call, std::current_exception());
      return true;
    }
    call->request = Value();
    return false;
  });
  do_write();
  read_if_needed();
}

void PoolConnection::on_connect_timer(const error_code& ec) {
  if (ec || state_ != State::connecting) return;
  fail(connect_timeout_error(step_, peer_, options_.connect_timeout.count()));
}

void PoolConnection::add(const PoolCallPtr& call) {
  // Compressed, the hello goes first on the plain stream and decides the
  // stream the requests enter: those added while connecting wait for it
  // (on_open). Plain, they are encoded at once and wait in outbox_.
  if (state_ == State::open || options_.compression == Compression::none) {
    outbox_.append(call->request);
    call->encoded = true;
    call->request = Value();
  }
  call->connection = this;
  calls_.push_back(call);
  write_soon();
  read_if_needed();
}

// do_write(), once, after the handlers already queued on this thread have
// run: the calls a batch of requests makes (each from its own handler)
// leave in one write instead of the first alone and the rest in a second.
void PoolConnection::write_soon() {
  if (state_ != State::open || write_in_flight_ || write_posted_) return;
  write_posted_ = true;
  asio::post(connect_timer_.get_executor(), [self = shared_from_this()] {
    self->write_posted_ = false;
    self->do_write();
  });
}

// One write in flight; requests added meanwhile go out together next.
void PoolConnection::do_write() {
  if (state_ != State::open || write_in_flight_ || outbox_.empty()) return;
  std::swap(writing_, outbox_.wire());
  outbox_.clear();
  write_in_flight_ = true;
  transport_->async_write(asio::buffer(writing_), [self = shared_from_this()](const error_code& ec, std::size_t) {
    self->write_in_flight_ = false;
    if (self->state_ != State::open) return;
    // A server that closed on us usually sent an error record first: the
    // read, pending while calls wait, delivers it and reports the close.
    if (ec && !is_peer_close(ec)) return self->fail(transfer_error(ec, "sending to", self->peer_));
    if (!ec) self->do_write();
  });
}

void PoolConnection::read_if_needed() {
  if (state_ != State::open || reading_ || calls_.empty()) return;
  reading_ = true;
  transport_->async_read_some(
      buffer_of(reader_.prepare()),
      [self = shared_from_this()](const error_code& ec, std::size_t bytes) { self->on_read(ec, bytes); });
}

void PoolConnection::on_read(const error_code& ec, std::size_t bytes) {
  reading_ = false;
  if (state_ != State::open) return;
  reader_.commit(bytes);
  deliver_responses();
  if (state_ != State::open) return;
  if (ec) {
    return fail(
        read_error(ec, peer_, reader_.received_any(), transport_->ssl(), reader_.end_of_stream(calls_.size(), peer_)));
  }
  read_if_needed();
}

void PoolConnection::deliver_responses() {
  for (;;) {
    std::optional<Value> response;
    try {
      response = reader_.next();
    } catch (const ClientError& e) {
      return fail(e);
    }
    if (!response) break;
    if (calls_.empty()) {
      return fail(ClientError(ClientErrc::unexpected_response, peer_ + " sent a response no request was waiting for"));
    }
    PoolCallPtr call = std::move(calls_.front());
    calls_.pop_front();
    if (call->live())
      owner_->answered(*call, std::move(*response));
    else
      owner_->discarded();
  }
  if (!calls_.empty() && !has_live_call()) return retire();
  owner_->has_room();
}

bool PoolConnection::has_live_call() const noexcept {
  for (const PoolCallPtr& call : calls_)
    if (call->live()) return true;
  return false;
}

void PoolConnection::abandoned() {
  if (state_ == State::closed || has_live_call()) return;
  retire();
}

bool PoolConnection::peer_closed() {
  if (state_ == State::closed) return true;
  if (state_ != State::open || transport_->is_tls()) return false;
  if (reader_.mid_record()) return true;
  std::uint8_t byte;
  const ssize_t n = ::recv(transport_->socket().native_handle(), &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n >= 0) return true;  // 0: closed; more: bytes nobody asked for
  return errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR;
}

void PoolConnection::close() noexcept {
  if (state_ == State::closed) return;
  state_ = State::closed;
  owner_ = nullptr;
  resolver_.cancel();
  connect_timer_.cancel();
  transport_->close();
}

void PoolConnection::fail(const ClientError& error) {
  if (state_ == State::closed) return;
  PoolState* owner = owner_;
  close();
  if (owner) owner->connection_failed(*this, error);
}

// Only cancelled calls wait here: the server learns it need not answer
// (it cancels its async handlers when the connection closes), and the
// pool stops spending a connection on responses nobody reads.
void PoolConnection::retire() {
  PoolState* owner = owner_;
  close();
  if (owner) owner->connection_retired(*this);
}

}  // namespace crous::client::detail
