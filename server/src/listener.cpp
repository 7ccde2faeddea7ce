#include "listener.hpp"

#include <boost/asio/post.hpp>
#include <boost/asio/write.hpp>
#include <spdlog/spdlog.h>

#include "crous/flux.hpp"
#include "crous/server/error_record.hpp"
#include "session.hpp"

namespace crous::server::detail {

namespace asio = boost::asio;

namespace {
constexpr auto kAcceptRetry = std::chrono::milliseconds(100);
}  // namespace

Listener::Listener(ServerCore& core, std::vector<std::unique_ptr<Shard>>& shards, const tcp::endpoint& endpoint,
                   const ServerTls* tls)
    : core_(core), shards_(shards), tls_(tls), acceptor_(shards.front()->ctx), retry_timer_(shards.front()->ctx) {
  acceptor_.open(endpoint.protocol());
  acceptor_.set_option(tcp::acceptor::reuse_address(true));
  acceptor_.bind(endpoint);
  acceptor_.listen(asio::socket_base::max_listen_connections);
}

std::uint16_t Listener::port() const { return acceptor_.local_endpoint().port(); }

void Listener::start() { do_accept(); }

void Listener::stop() {
  stopped_ = true;
  retry_timer_.cancel();
  // Connections already in the kernel's backlog have sent requests we count
  // as received: take them (as draining sessions) instead of resetting them
  // by closing the acceptor under them.
  boost::system::error_code ec;
  acceptor_.non_blocking(true, ec);
  while (!ec) {
    Shard& shard = *shards_[next_shard_];
    next_shard_ = (next_shard_ + 1) % shards_.size();
    tcp::socket socket(shard.ctx);
    acceptor_.accept(socket, ec);
    if (!ec) admit(std::move(socket), shard);
  }
  acceptor_.close(ec);
}

void Listener::do_accept() {
  // The new socket belongs to the shard that will serve it, so all of its
  // handlers run on that shard's thread.
  Shard& shard = *shards_[next_shard_];
  next_shard_ = (next_shard_ + 1) % shards_.size();
  acceptor_.async_accept(shard.ctx, [this, &shard](const boost::system::error_code& ec, tcp::socket socket) {
    on_accept(ec, std::move(socket), shard);
  });
}

void Listener::on_accept(const boost::system::error_code& ec, tcp::socket socket, Shard& shard) {
  if (ec == asio::error::operation_aborted) return;
  if (ec) {
    if (stopped_) return;
    // Typically EMFILE: retrying at once would spin. Existing connections
    // keep being served meanwhile.
    if (auto held_back = accept_warnings_.admit()) {
      if (*held_back != 0)
        spdlog::warn("accept failed: {}; retrying every 100 ms ({} more failures since the last warning)",
                     ec.message(), *held_back);
      else
        spdlog::warn("accept failed: {}; retrying every 100 ms", ec.message());
    }
    retry_timer_.expires_after(kAcceptRetry);
    retry_timer_.async_wait([this](const boost::system::error_code& e) {
      if (!e && !stopped_) do_accept();
    });
    return;
  }
  // Accepted just before stop(): still served, as a draining session.
  admit(std::move(socket), shard);
  if (!stopped_) do_accept();
}

void Listener::admit(tcp::socket socket, Shard& shard) {
  if (core_.stats.get(Counter::connections_open) >= core_.options.max_connections) {
    core_.stats.add(Counter::connections_rejected);
    spdlog::warn("refusing connection: {} connections open (max_connections)", core_.options.max_connections);
    refuse(std::move(socket), codes::server_busy,
           "server busy: " + std::to_string(core_.options.max_connections) + " connections open");
    return;
  }
  // Behind a proxy the socket's peer is the proxy: the session counts the
  // client once the PROXY header has named it.
  const bool per_ip = core_.per_ip.limited() && !core_.options.proxy_protocol;
  boost::system::error_code ec;
  const auto address = per_ip ? socket.remote_endpoint(ec).address() : asio::ip::address();
  if (per_ip && !ec && !core_.per_ip.admit(address)) {
    refuse(std::move(socket), codes::server_busy, core_.per_ip.refusal());
    return;
  }
  core_.stats.add(Counter::connections_open);
  core_.stats.add(Counter::connections_total);
  auto session = std::make_shared<Session>(std::move(socket), shard, core_, tls_ ? tls_->current() : nullptr);
  if (per_ip && !ec) session->counted_per_ip(address);
  asio::post(shard.ctx, [session] { session->start(); });
}

void Listener::refuse(tcp::socket socket, std::string_view code, std::string_view message) {
  if (tls_) {
    boost::system::error_code ignored;
    socket.close(ignored);
    return;
  }
  struct Refusal {
    tcp::socket socket;
    Bytes bytes;
  };
  auto r = std::make_shared<Refusal>(Refusal{std::move(socket), {}});
  encode_flux(error_record(code, message), r->bytes);
  // Handlers of the socket run on its own shard; the shared_ptr keeps the
  // bytes alive until the write is done.
  asio::async_write(r->socket, asio::buffer(r->bytes), [r](const boost::system::error_code&, std::size_t) {
    boost::system::error_code ignored;
    r->socket.shutdown(tcp::socket::shutdown_send, ignored);
    r->socket.close(ignored);
  });
}

}  // namespace crous::server::detail
