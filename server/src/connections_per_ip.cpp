#include "connections_per_ip.hpp"

namespace crous::server::detail {

bool ConnectionsPerIp::try_add(const boost::asio::ip::address& address, std::size_t limit) {
  std::lock_guard lock(mutex_);
  std::size_t& open = open_[address.to_string()];
  if (open >= limit) return false;
  ++open;
  return true;
}

void ConnectionsPerIp::remove(const boost::asio::ip::address& address) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(address.to_string());
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

}  // namespace crous::server::detail
