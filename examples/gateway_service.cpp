// The gateway of the two-service example: its async handlers call two
// backends (backend_service.cpp) through client Pools, without holding a
// thread while they wait.
//
//   build/bin/crous-example-backend --port 7001 &  build/bin/crous-example-backend --port 7002 &
//   build/bin/crous-example-gateway --port 7000 --backend 127.0.0.1:7001 --backend 127.0.0.1:7002
//   request {"op": "fanout", "key": "k1"}       -> {"key": "k1", "answers": [<lookup of 7001>, <lookup of 7002>]}
//           (both lookups at once; "delay_ms" is passed on; "deadline_ms" bounds the whole and travels on)
//   request {"op": "relay", ...}                -> what the first backend answers to the request without its op
//                                                  (its echo: the benchmark's extra hop, scripts/bench-gateway.sh)
//
// It takes crous-server's flags, CROUS_* variables and config file, plus
// --backend HOST:PORT twice.
#include <utility>  // before Asio: Boost 1.74's awaitable.hpp uses std::exchange without including it

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <cstdint>
#include <iostream>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "crous/client/pool.hpp"
#include "crous/config/config_loader.hpp"
#include "crous/server/error_record.hpp"
#include "crous/server/server.hpp"
#include "crous/server/service_main.hpp"

namespace {

namespace asio = boost::asio;
using crous::client::CallContext;
using crous::client::Pool;
using crous::server::RequestContext;

struct Endpoint {
  std::string host;
  unsigned short port = 0;
};

// Takes every "--backend HOST:PORT" (or --backend=HOST:PORT) out of `args`.
std::vector<Endpoint> take_backends(std::vector<std::string>& args) {
  std::vector<Endpoint> out;
  std::vector<std::string> rest;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string value;
    if (args[i] == "--backend" && i + 1 < args.size())
      value = args[++i];
    else if (args[i].rfind("--backend=", 0) == 0)
      value = args[i].substr(10);
    else {
      rest.push_back(args[i]);
      continue;
    }
    const auto colon = value.rfind(':');
    const int port = colon == std::string::npos ? 0 : std::atoi(value.c_str() + colon + 1);
    if (port <= 0 || port > 65535) throw std::invalid_argument("--backend wants HOST:PORT, got '" + value + "'");
    out.push_back({value.substr(0, colon), static_cast<unsigned short>(port)});
  }
  args = std::move(rest);
  return out;
}

// Two calls at once, completing when both have: with the first error, or
// both responses. (Boost 1.74's Asio has no operators to await two
// operations together; callbacks on one thread need no locks.)
template <class Token>
auto async_call_both(Pool& first, crous::Value first_request, Pool& second, crous::Value second_request,
                     CallContext& ctx, Token&& token) {
  return asio::async_initiate<Token, void(std::exception_ptr, crous::List)>(
      [&first, &second, &ctx](auto handler, crous::Value a, crous::Value b) {
        struct Join {
          explicit Join(decltype(handler) h) : done(std::move(h)) {}
          decltype(handler) done;
          crous::List responses{crous::Value(), crous::Value()};
          std::exception_ptr error;
          int left = 2;
        };
        auto join = std::make_shared<Join>(std::move(handler));
        auto arrive = [join](std::size_t i) {
          return [join, i](std::exception_ptr error, crous::Value response) {
            if (error && !join->error) join->error = error;
            join->responses[i] = std::move(response);
            if (--join->left == 0) join->done(join->error, std::move(join->responses));
          };
        };
        first.async_call(std::move(a), ctx, arrive(0));
        second.async_call(std::move(b), ctx, arrive(1));
      },
      token, std::move(first_request), std::move(second_request));
}

// One Pool per backend per I/O thread: a handler uses its own thread's.
struct Backends {
  std::vector<std::unique_ptr<Pool>> first, second;
};

asio::awaitable<crous::Value> fanout(const crous::Value& request, RequestContext& ctx, Backends& backends) {
  const crous::Value* key = request.find("key");
  if (!key || !key->is_string()) throw crous::server::HandlerError("bad_request", "fanout needs a string 'key'");
  crous::Value lookup = crous::Dict{{"op", "lookup"}, {"key", *key}};
  if (const crous::Value* delay = request.find("delay_ms")) lookup.as_dict().insert_or_assign("delay_ms", *delay);
  crous::Value lookup_copy = lookup;
  // A failed or cancelled lookup throws out of here: the client gets
  // handler_error naming the backend's error ("connection_closed: ...").
  crous::List answers =
      co_await async_call_both(*backends.first[ctx.io_thread()], std::move(lookup), *backends.second[ctx.io_thread()],
                               std::move(lookup_copy), ctx, asio::use_awaitable);
  co_return crous::Dict{{"key", *key}, {"answers", std::move(answers)}};
}

// The request goes on as it came (moved, not copied: it is the handler's),
// less its op: the backend answers it on its default route (echo).
asio::awaitable<crous::Value> relay(crous::Value& request, RequestContext& ctx, Backends& backends) {
  if (request.is_dict()) request.as_dict().erase("op");
  co_return co_await backends.first[ctx.io_thread()]->async_call(std::move(request), ctx, asio::use_awaitable);
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  std::vector<Endpoint> endpoints;
  try {
    endpoints = take_backends(args);
  } catch (const std::exception& e) {
    std::cerr << "crous-example-gateway: " << e.what() << "\n";
    return 2;
  }
  return crous::server::run_service(
      args, "crous-example-gateway",
      [&](crous::server::Server& server) {
        // Here, not before run_service: --help and --print-config need no
        // backends; --check-config and a run do (a ConfigError: exit 2).
        if (endpoints.size() != 2)
          throw crous::config::ConfigError("backend", "give two backends: --backend HOST:PORT --backend HOST:PORT");
        // Kept by the server: the pools live on its I/O threads and are
        // destroyed after it has drained, before those threads' contexts.
        auto& backends = server.keep(std::make_unique<Backends>());
        for (const auto& executor : server.io_executors()) {
          backends.first.push_back(std::make_unique<Pool>(executor, endpoints[0].host, endpoints[0].port));
          backends.second.push_back(std::make_unique<Pool>(executor, endpoints[1].host, endpoints[1].port));
        }
        server.router().add_async("fanout", [&backends](const crous::Value& request, RequestContext& ctx) {
          return fanout(request, ctx, backends);
        });
        server.router().add_async(
            "relay", [&backends](crous::Value& request, RequestContext& ctx) { return relay(request, ctx, backends); });
      },
      "  --backend HOST:PORT      a backend to call (give two)\n");
}
