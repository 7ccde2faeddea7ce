#pragma once
// Open connections per client address, for max_connections_per_ip.
#include <boost/asio/ip/address.hpp>

#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

namespace crous::server::detail {

class ConnectionsPerIp {
 public:
  // Counts one more connection from `address` unless it already has `limit`.
  bool try_add(const boost::asio::ip::address& address, std::size_t limit);
  void remove(const boost::asio::ip::address& address);

 private:
  std::mutex mutex_;
  // Keyed by the address text: Asio 1.18 has no std::hash for addresses.
  std::unordered_map<std::string, std::size_t> open_;
};

}  // namespace crous::server::detail
