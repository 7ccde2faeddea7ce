#include "connections_per_ip.hpp"

#include <spdlog/spdlog.h>

namespace crous::server::detail {

bool ConnectionsPerIp::admit(const boost::asio::ip::address& address) {
  if (limit_ == 0) return true;
  const std::string key = address.to_string();
  {
    std::lock_guard lock(mutex_);
    std::size_t& open = open_[key];
    if (open < limit_) {
      ++open;
      return true;
    }
  }
  stats_.add(Counter::connections_rejected);
  spdlog::warn("refusing connection from {}: {} connections open from that address (max_connections_per_ip)", key,
               limit_);
  return false;
}

void ConnectionsPerIp::remove(const boost::asio::ip::address& address) {
  std::lock_guard lock(mutex_);
  auto it = open_.find(address.to_string());
  if (it == open_.end()) return;
  if (--it->second == 0) open_.erase(it);
}

std::string ConnectionsPerIp::refusal() const {
  return "server busy: " + std::to_string(limit_) + " connections open from your address";
}

}  // namespace crous::server::detail
