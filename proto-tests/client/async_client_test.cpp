// The asynchronous client against the real server: coroutines and
// callbacks sharing one connection, in-order matching, error records.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <vector>

#include "crous/client/async_client.hpp"
#include "io_helpers.hpp"
#include "test_server.hpp"

namespace crous::client {
namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using test::run_until_idle;
using test::TestServer;

// The connection keeps a read pending, so io_context::run() returns only
// once the client is closed: the last one to finish closes it.
awaitable<void> worker(AsyncClient& client, int worker_id, int calls, int& answered, int total) {
  for (int i = 0; i < calls; ++i) {
    const Value request = Dict{{"worker", worker_id}, {"seq", i}, {"pad", std::string(i % 17, 'p')}};
    const Value response = co_await client.async_call(request, use_awaitable);
    EXPECT_EQ(response, request);
    if (++answered == total) client.close();
  }
}

TEST(AsyncClient, SeveralCoroutinesShareOneConnection) {
  TestServer server;
  asio::io_context io;
  AsyncClient client(io.get_executor());
  constexpr int workers = 8;
  constexpr int calls = 300;
  int answered = 0;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    co_await client.async_connect("127.0.0.1", server.port(), use_awaitable);
    for (int w = 0; w < workers; ++w) asio::co_spawn(io, worker(client, w, calls, answered, workers * calls), test::rethrow_failure);
  }, test::rethrow_failure);
  run_until_idle(io);
  EXPECT_EQ(answered, workers * calls);
}

TEST(AsyncClient, CallbacksCompleteInRequestOrder) {
  TestServer server;
  asio::io_context io;
  AsyncClient client(io.get_executor());
  std::vector<int> order;
  constexpr int count = 1000;
  client.async_connect("127.0.0.1", server.port(), [&](std::exception_ptr error) {
    ASSERT_FALSE(error);
    for (int i = 0; i < count; ++i) {
      client.async_call(Dict{{"id", i}}, [&order, &client, i](std::exception_ptr call_error, Value response) {
        ASSERT_FALSE(call_error);
        EXPECT_EQ(response["id"].as_int(), i);
        order.push_back(i);
        if (i == 999) client.close();  // the last call
      });
    }
  });
  run_until_idle(io);
  ASSERT_EQ(order.size(), std::size_t{count});
  for (int i = 0; i < count; ++i) EXPECT_EQ(order[i], i);
}

TEST(AsyncClient, ServerErrorIsThrownIntoTheCoroutineAndTheConnectionLivesOn) {
  TestServer server;
  asio::io_context io;
  AsyncClient client(io.get_executor());
  bool checked = false;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    co_await client.async_connect("127.0.0.1", server.port(), use_awaitable);
    // Requests are built outside co_await: GCC 12 miscompiles string
    // literals inside a co_await expression ("array used as initializer").
    const Value failing = Dict{{"op", "fail"}, {"user", 1}, {"id", "req-1"}};
    const Value ping = Dict{{"op", "ping"}};
    try {
      co_await client.async_call(failing, use_awaitable);
      ADD_FAILURE() << "expected ServerError";
    } catch (const ServerError& e) {
      EXPECT_EQ(e.code(), "not_found");
      EXPECT_EQ(e.id(), std::optional<Value>(Value("req-1")));
    }
    const Value pong = co_await client.async_call(ping, use_awaitable);
    EXPECT_EQ(pong, Value(Dict{{"pong", true}}));
    checked = true;
    client.close();
  }, test::rethrow_failure);
  run_until_idle(io);
  EXPECT_TRUE(checked);
}

TEST(AsyncClient, WorksFromAMultiThreadedIoContext) {
  TestServer server;
  asio::io_context io;
  AsyncClient client(io.get_executor());
  std::atomic<int> answered{0};
  constexpr int count = 500;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    co_await client.async_connect("127.0.0.1", server.port(), use_awaitable);
    for (int w = 0; w < 4; ++w) {
      asio::co_spawn(io, [&, w]() -> awaitable<void> {
        for (int i = 0; i < count; ++i) {
          const Value request = Dict{{"w", w}, {"i", i}};
          const Value response = co_await client.async_call(request, use_awaitable);
          EXPECT_EQ(response["i"].as_int(), i);
          if (++answered == 4 * count) client.close();
        }
      }, test::rethrow_failure);
    }
  }, test::rethrow_failure);
  std::vector<std::thread> threads;
  for (int t = 0; t < 3; ++t) threads.emplace_back([&io] { io.run_for(std::chrono::seconds(60)); });
  for (auto& thread : threads) thread.join();
  EXPECT_EQ(answered.load(), 4 * count);
}

TEST(AsyncClient, CallBeforeConnectFailsNotConnected) {
  asio::io_context io;
  AsyncClient client(io.get_executor());
  std::exception_ptr error;
  client.async_call(Value(1), [&](std::exception_ptr e, Value) { error = e; });
  run_until_idle(io);
  EXPECT_EQ(test::client_errc(error), ClientErrc::not_connected);
}

TEST(AsyncClient, ClosingFailsCallsInFlight) {
  TestServer server;
  asio::io_context io;
  AsyncClient client(io.get_executor());
  std::vector<std::exception_ptr> errors;
  client.async_connect("127.0.0.1", server.port(), [&](std::exception_ptr error) {
    ASSERT_FALSE(error);
    for (int i = 0; i < 3; ++i) client.async_call(Value(i), [&](std::exception_ptr e, Value) { errors.push_back(e); });
    client.close();  // posted after the calls: they are in flight, unanswered
  });
  run_until_idle(io);
  ASSERT_EQ(errors.size(), 3u);
  for (const auto& error : errors) EXPECT_EQ(test::client_errc(error), ClientErrc::not_connected);
}

}  // namespace
}  // namespace crous::client
