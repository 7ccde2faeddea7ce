#pragma once
// Maps the op of a request to the handler that answers it.
//
//   server.router().add("sum", [](const crous::Value& req) {
//     return crous::Value(crous::Dict{{"sum", req["a"].as_int() + req["b"].as_int()}});
//   });
//   server.router().add_offloaded("report", build_report);  // slow: worker pool
//
// Inline handlers run on the connection's I/O thread: they must not block.
// Offloaded handlers run on the worker pool; the connection keeps reading and
// answering meanwhile, and responses still leave in request order. An
// offloaded route may have a timeout: past it the client gets a
// handler_timeout error record in that response's place (the handler keeps
// its worker until it returns; its late result is dropped).
// Register everything before Server::start(); the table is read-only after.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crous/value.hpp"

namespace crous::server {

// Returns the response record. A thrown exception becomes a handler_error
// record (or the code of a HandlerError) and the connection stays open.
using Handler = std::function<Value(const Value& request)>;

enum class Execution : std::uint8_t {
  inline_io,  // on the I/O thread
  offloaded,  // on the worker pool
  echo,       // the response is the request; its validated bytes are sent back as they came
};

struct Route {
  std::string op;
  Handler handler;  // empty for Execution::echo
  Execution execution;
  std::chrono::milliseconds timeout{0};  // offloaded routes; 0 = none
};

class Router {
 public:
  // Each of these adds `op`, or replaces the handler already registered for it.
  Router& add(std::string op, Handler handler);
  Router& add_offloaded(std::string op, Handler handler, std::chrono::milliseconds timeout = {});
  Router& add_echo(std::string op);

  const Route* find(std::string_view op) const noexcept;
  std::vector<std::string> ops() const;
  // Routes registered, and the position of one that find() returned, in
  // the order of ops(); stable once the server has started (metrics label
  // their per-op series by it).
  std::size_t size() const noexcept { return routes_.size(); }
  std::size_t index_of(const Route& route) const noexcept { return static_cast<std::size_t>(&route - routes_.data()); }

 private:
  Router& put(Route route);
  // Few routes: a linear scan of short strings beats hashing.
  std::vector<Route> routes_;
};

}  // namespace crous::server
