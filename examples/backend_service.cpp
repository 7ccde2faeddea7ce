// The backend of the two-service example (gateway_service.cpp calls two of
// these through a client Pool). Its one op of its own is an async handler
// that answers after a delay without holding a thread, and stops early
// when the server cancels it (deadline passed, caller gone):
//
//   build/bin/crous-example-backend --port 7001
//   request {"op": "lookup", "key": "k1", "delay_ms": 50}
//     -> {"key": "k1", "value": "value of k1", "backend": 7001, "deadline_ms": <as received, or null>}
//   request {"op": "backend_stats"}  -> {"started": n, "completed": n, "cancelled": n}
//
// The default route stays echo (the benchmark's direct target). It takes
// the same flags, CROUS_* variables and config file as crous-server.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>

#include "crous/server/error_record.hpp"
#include "crous/server/server.hpp"
#include "crous/server/service_main.hpp"

namespace {

namespace asio = boost::asio;
using crous::server::RequestContext;

// Handlers run on every I/O thread: the counters are atomic.
struct Counters {
  std::atomic<std::int64_t> started{0};
  std::atomic<std::int64_t> completed{0};
  std::atomic<std::int64_t> cancelled{0};
};

std::int64_t int_field(const crous::Value& request, std::string_view key, std::int64_t fallback) {
  const crous::Value* v = request.find(key);
  if (!v) return fallback;
  if (!v->is_int() || v->as_int() < 0)
    throw crous::server::HandlerError("bad_request", std::string(key) + " must be a non-negative int");
  return v->as_int();
}

asio::awaitable<crous::Value> lookup(const crous::Value& request, RequestContext& ctx, Counters& counters,
                                     std::uint16_t port) {
  const crous::Value* key = request.find("key");
  if (!key || !key->is_string()) throw crous::server::HandlerError("bad_request", "lookup needs a string 'key'");
  const auto delay = std::chrono::milliseconds(int_field(request, "delay_ms", 0));
  ++counters.started;
  if (delay.count() > 0) {
    // A wait of our own: tied to the context, so that a cancellation ends
    // it at once instead of when the timer would have fired.
    asio::steady_timer timer(ctx.get_executor(), delay);
    auto stop = ctx.on_cancel([&timer] { timer.cancel(); });
    boost::system::error_code ec;
    // Cancelled already (on_cancel then ran at once, before this wait
    // began): no wait at all.
    if (!ctx.cancelled()) co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ctx.cancelled()) {
      ++counters.cancelled;
      // Nobody reads this: the server has answered (deadline) or the client is gone.
      throw crous::server::HandlerError("cancelled", std::string(to_string(ctx.cancel_reason())));
    }
  }
  ++counters.completed;
  const crous::Value* deadline = request.find(crous::client::deadline_field);
  co_return crous::Dict{{"key", *key},
                        {"value", "value of " + key->as_string()},
                        {"backend", static_cast<std::int64_t>(port)},
                        {"deadline_ms", deadline ? *deadline : crous::Value()}};
}

}  // namespace

int main(int argc, char** argv) {
  return crous::server::run_service(argc, argv, "crous-example-backend", [](crous::server::Server& server) {
    auto& counters = server.keep(std::make_unique<Counters>());
    server.router().add_async("lookup", [&](const crous::Value& request, RequestContext& ctx) {
      return lookup(request, ctx, counters, server.port());
    });
    server.router().add("backend_stats", [&counters](const crous::Value&) {
      return crous::Value(crous::Dict{{"started", counters.started.load()},
                                      {"completed", counters.completed.load()},
                                      {"cancelled", counters.cancelled.load()}});
    });
  });
}
