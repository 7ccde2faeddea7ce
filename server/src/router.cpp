#include "crous/server/router.hpp"

namespace crous::server {

Router& Router::add(std::string op, Handler handler) {
  return put({std::move(op), std::move(handler), Execution::inline_io});
}

Router& Router::add_offloaded(std::string op, Handler handler, std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) throw std::invalid_argument("timeout for op '" + op + "' is negative");
  return put({std::move(op), std::move(handler), Execution::offloaded, timeout});
}

Router& Router::add_echo(std::string op) { return put({std::move(op), {}, Execution::echo}); }

Router& Router::put(Route route) {
  if (route.execution != Execution::echo && !route.handler)
    throw std::invalid_argument("handler for op '" + route.op + "' is empty");
  for (Route& r : routes_)
    if (r.op == route.op) {
      r = std::move(route);
      return *this;
    }
  routes_.push_back(std::move(route));
  return *this;
}

const Route* Router::find(std::string_view op) const noexcept {
  for (const Route& r : routes_)
    if (r.op == op) return &r;
  return nullptr;
}

std::vector<std::string> Router::ops() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) out.push_back(r.op);
  return out;
}

}  // namespace crous::server
