#pragma once
// Maps the op of a request to the handler that answers it.
//
//   server.router().add("sum", [](const crous::Value& req) {
//     return crous::Value(crous::Dict{{"sum", req["a"].as_int() + req["b"].as_int()}});
//   });
//   server.router().add_offloaded("report", build_report);  // slow: worker pool
//   server.router().add_async("checkout", checkout);        // waits on other services: a coroutine
//
// Inline handlers run on the connection's I/O thread: they must not block.
// Offloaded handlers run on the worker pool; the connection keeps reading and
// answering meanwhile, and responses still leave in request order. An
// offloaded route may have a timeout: past it the client gets a
// handler_timeout error record in that response's place (the handler keeps
// its worker until it returns; its late result is dropped).
// Async handlers are coroutines on the connection's I/O thread: they hold
// no thread while they wait (co_await a Pool call, a timer), pipelined
// requests to them run concurrently, and responses still leave in request
// order. Their RequestContext carries the deadline and the cancellation
// (request_context.hpp); past the route's timeout the client gets
// handler_timeout and the handler is cancelled.
// Register everything before Server::start(); the table is read-only after.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>  // Boost 1.74's awaitable.hpp uses std::exchange without including it
#include <vector>

#include <boost/asio/awaitable.hpp>

#include "crous/client/async_client.hpp"
#include "crous/server/request_context.hpp"
#include "crous/value.hpp"

namespace crous::server {

// Returns the response record. A thrown exception becomes a handler_error
// record (or the code of a HandlerError) and the connection stays open.
using Handler = std::function<Value(const Value& request)>;

// A coroutine returning the response record; `request` and `ctx` live until
// it has finished. The request is the handler's: it may move parts of it
// on (forward it to another service without a copy); a handler taking
// `const Value&` works as well. An exception it lets out becomes an error
// record as for Handler (with the request's "id"; its message names a
// downstream error's code: "server error not_found: ...", "timeout: ...").
using AsyncHandler = std::function<boost::asio::awaitable<Value>(Value& request, RequestContext& ctx)>;

// Answers one request of a callback-style async handler: respond() or
// fail() once, from any thread (the answer is posted to the I/O thread).
// Dropped unanswered, it answers handler_error. It keeps its I/O thread
// running until then (within the drain deadline plus a second's grace at
// shutdown): answer or drop it before the Server is destroyed.
class Responder {
 public:
  explicit Responder(std::unique_ptr<client::detail::Completion> completion) : completion_(std::move(completion)) {}
  Responder(Responder&&) noexcept = default;
  Responder& operator=(Responder&&) noexcept;
  ~Responder();

  void respond(Value response);
  void fail(std::exception_ptr error);  // e.g. std::make_exception_ptr(HandlerError("not_found", "..."))

 private:
  std::unique_ptr<client::detail::Completion> completion_;
};

// For services without coroutines: starts the work and returns; the work
// answers through `responder` (`request` and `ctx` live until then; the
// request may be moved from).
using CallbackHandler = std::function<void(Value& request, RequestContext& ctx, Responder responder)>;

enum class Execution : std::uint8_t {
  inline_io,  // on the I/O thread
  offloaded,  // on the worker pool
  async,      // a coroutine on the I/O thread
  echo,       // the response is the request; its validated bytes are sent back as they came
};

struct Route {
  std::string op;
  Handler handler;  // inline and offloaded routes
  Execution execution;
  std::chrono::milliseconds timeout{0};  // offloaded and async routes; 0 = none
  AsyncHandler async_handler{};          // async routes
};

class Router {
 public:
  // Each of these adds `op`, or replaces the handler already registered for it.
  Router& add(std::string op, Handler handler);
  Router& add_offloaded(std::string op, Handler handler, std::chrono::milliseconds timeout = {});
  // Past `timeout` (and past the request's deadline_ms, when earlier) the
  // request is answered handler_timeout (deadline_exceeded) and its context
  // cancelled.
  Router& add_async(std::string op, AsyncHandler handler, std::chrono::milliseconds timeout = {});
  // The same for a callback-style handler, run as a small coroutine that
  // waits for its Responder.
  Router& add_async_callback(std::string op, CallbackHandler handler, std::chrono::milliseconds timeout = {});
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
