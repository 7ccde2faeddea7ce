#pragma once
// Accepts connections and hands each to the next shard (round robin). Runs on
// shard 0's thread. Connections over max_connections get one server_busy
// error record and are closed (on the TLS port: closed, since a record in
// the clear would not be understood and a handshake is what an overloaded
// server cannot afford).
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <functional>
#include <memory>
#include <vector>

#include "log_throttle.hpp"
#include "server_core.hpp"
#include "server_tls.hpp"

namespace crous::server::detail {

class Listener {
 public:
  using tcp = boost::asio::ip::tcp;

  // `tls` null: the plain port.
  Listener(ServerCore& core, std::vector<std::unique_ptr<Shard>>& shards, const tcp::endpoint& endpoint,
           const ServerTls* tls = nullptr);

  void start();
  void stop();  // on shard 0's thread
  std::uint16_t port() const;

 private:
  void do_accept();
  void on_accept(const boost::system::error_code& ec, tcp::socket socket, Shard& shard);
  void admit(tcp::socket socket, Shard& shard);
  void refuse(tcp::socket socket, std::string_view code, std::string_view message);

  ServerCore& core_;
  std::vector<std::unique_ptr<Shard>>& shards_;
  const ServerTls* tls_;
  tcp::acceptor acceptor_;
  boost::asio::steady_timer retry_timer_;
  // "accept failed" is said once per 10 s with a count of the repeats, not
  // ten times a second while fds stay exhausted.
  LogThrottle accept_warnings_{std::chrono::seconds(10), 1};
  std::size_t next_shard_ = 0;
  bool stopped_ = false;
};

}  // namespace crous::server::detail
