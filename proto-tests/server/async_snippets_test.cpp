// The async-handler and Pool snippets of README.md, docs/server.md and
// docs/client.md, as written there (only the backend's address differs),
// compiled with both compilers and run: a service whose handler calls
// another through a Pool per I/O thread.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <memory>
#include <vector>

#include "crous/client/pool.hpp"
#include "crous/server/server.hpp"
#include "server_test_util.hpp"

namespace crous::test {
namespace {

namespace asio = boost::asio;

// The inventory service the snippets call: {"op": "reserve", "sku": s} -> {"count": 3, "sku": s}.
void add_reserve(server::Router& r) {
  r.add("reserve", [](const Value& request) { return Value(Dict{{"count", 3}, {"sku", request["sku"]}}); });
}

TEST(AsyncSnippets, ServerMdCheckoutCallsTheInventoryThroughAPoolPerThread) {
  TestServer backend(test_options(), add_reserve);
  auto options = test_options();
  {
    crous::server::Server server(options);
    // docs/server.md, "Async handlers" (README.md's is the same handler):
    std::vector<std::unique_ptr<crous::client::Pool>> inventory;
    for (auto& executor : server.io_executors())
      inventory.push_back(std::make_unique<crous::client::Pool>(executor, "127.0.0.1", backend.port()));

    server.router().add_async(
        "checkout",
        [&](const crous::Value& request, crous::server::RequestContext& ctx) -> asio::awaitable<crous::Value> {
          crous::Value ask = crous::Dict{{"op", "reserve"}, {"sku", request["sku"]}};
          crous::Value reserved =
              co_await inventory[ctx.io_thread()]->async_call(std::move(ask), ctx, asio::use_awaitable);
          co_return crous::Dict{{"reserved", reserved["count"]}};
        });
    server.start();
    ASSERT_EQ(inventory.size(), 2u);  // test_options(): two I/O threads
    // Connections go to both I/O threads: each handler uses its own thread's pool.
    std::vector<std::unique_ptr<Client>> clients;
    for (int i = 0; i < 4; ++i) {
      clients.push_back(std::make_unique<Client>(server.port()));
      clients.back()->send(Dict{{"op", "checkout"}, {"sku", "A-17"}, {"deadline_ms", 5000}});
    }
    for (auto& c : clients) EXPECT_EQ(c->read(), Value(Dict{{"reserved", 3}}));
    server.shutdown();
    server.wait();
  }
}

TEST(AsyncSnippets, ClientMdPoolCalls) {
  TestServer backend(test_options(), add_reserve);
  asio::io_context io;
  Value reply, bounded;
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        // docs/client.md, "Pool":
        crous::client::Pool pool(io.get_executor(), "127.0.0.1", backend.port(),
                                 crous::client::PoolOptions{.max_connections = 4, .max_pipeline = 64});
        crous::Value ask = crous::Dict{{"op", "reserve"}, {"sku", "A-17"}};  // a variable: GCC 12 rejects a braced
        reply = co_await pool.async_call(ask, asio::use_awaitable);          // temporary inside co_await
        crous::client::CallContext ctx(std::chrono::milliseconds(200));      // or a handler's RequestContext
        bounded = co_await pool.async_call(std::move(ask), ctx, asio::use_awaitable);
      },
      [](std::exception_ptr e) {
        if (e) std::rethrow_exception(e);
      });
  io.run_for(std::chrono::seconds(30));
  ASSERT_TRUE(io.stopped());
  EXPECT_EQ(reply, Value(Dict{{"count", 3}, {"sku", "A-17"}}));
  EXPECT_EQ(bounded, reply);
}

}  // namespace
}  // namespace crous::test
