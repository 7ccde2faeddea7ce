#pragma once
// Open connections per client address, for max_connections_per_ip. The
// address is the socket's peer, or with proxy_protocol the client the PROXY
// header names (the listener then only sees the proxy).
#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "stats.hpp"

namespace crous::server::detail {

class ConnectionsPerIp {
 public:
  // limit 0: no limit (nothing is counted).
  ConnectionsPerIp(std::size_t limit, Stats& stats) : limit_(limit), stats_(stats) {}

  bool limited() const noexcept { return limit_ != 0; }
  // Without a limit: true, nothing counted. Otherwise counts one more
  // connection from `address`, or refuses it when that address already has
  // `limit` open: counted in connections_rejected, logged, false. A counted
  // connection is given back by remove().
  bool admit(const boost::asio::ip::address& address);
  void remove(const boost::asio::ip::address& address);
  // The message of the server_busy record a refused connection gets.
  std::string refusal() const;

 private:
  const std::size_t limit_;
  Stats& stats_;
  std::mutex mutex_;
  // Keyed by the address text: Asio 1.18 has no std::hash for addresses.
  std::unordered_map<std::string, std::size_t> open_;
};

}  // namespace crous::server::detail
