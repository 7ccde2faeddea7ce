// crous::client::Pool against the real server (an in-process crous::server
// with an async "sleep" route) and scripted peers: pipelining, the
// connection bound, replacing broken connections, deadlines and
// cancellation through a CallContext, late responses discarded.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <thread>
#include <vector>

#include "crous/client/pool.hpp"
#include "crous/flux.hpp"
#include "crous/server/logging.hpp"
#include "crous/server/server.hpp"
#include "io_helpers.hpp"
#include "raw_peer.hpp"
#include "test_support.hpp"

namespace crous::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::client_errc;
using test::run_until_idle;

// crous::server in-process with one async route:
//   {"op": "sleep", "ms": n, "seq": s} -> {"seq": s, "deadline_ms": <as received, or null>} after n ms,
// cut short (and counted) when the server cancels it.
class SleepServer {
 public:
  explicit SleepServer(std::chrono::milliseconds idle_timeout = 300s) {
    server::Options options;
    options.port = 0;
    options.threads = 1;
    options.workers = 1;
    options.idle_timeout = idle_timeout;
    options.log_level = "error";
    server::configure_logging(options.log_level, options.log_format);
    server_ = std::make_unique<server::Server>(options);
    server_->router().add_async(
        "sleep", [this](const Value& request, server::RequestContext& ctx) { return sleep(request, ctx); });
    server_->start();
  }
  ~SleepServer() {
    server_->shutdown();
    server_->wait();
  }
  unsigned short port() const { return server_->port(); }
  server::StatsSnapshot stats() const { return server_->stats(); }

  std::atomic<int> started{0};
  std::atomic<int> cancelled{0};

 private:
  asio::awaitable<Value> sleep(const Value& request, server::RequestContext& ctx) {
    ++started;
    asio::steady_timer timer(ctx.get_executor(), std::chrono::milliseconds(request["ms"].as_int()));
    auto stop = ctx.on_cancel([&timer] { timer.cancel(); });
    boost::system::error_code ec;
    if (!ctx.cancelled()) co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ctx.cancelled()) ++cancelled;
    const Value* deadline = request.find("deadline_ms");
    co_return Dict{{"seq", request["seq"]}, {"deadline_ms", deadline ? *deadline : Value()}};
  }

  std::unique_ptr<server::Server> server_;
};

Value sleep_request(int ms, int seq) { return Dict{{"op", "sleep"}, {"ms", ms}, {"seq", seq}}; }

struct Outcome {
  bool done = false;
  std::exception_ptr error;
  Value response;
  Clock::time_point at;
};

// A completion handler that records into `out`.
auto record(Outcome& out) {
  return [&out](std::exception_ptr error, Value response) {
    out = {true, std::move(error), std::move(response), Clock::now()};
  };
}

// Polls `done` on the io_context's thread every 5 ms, for at most `limit`.
asio::awaitable<bool> until(std::function<bool()> done, std::chrono::milliseconds limit = 10s) {
  asio::steady_timer timer(co_await asio::this_coro::executor);
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) co_return false;
    timer.expires_after(5ms);
    co_await timer.async_wait(asio::use_awaitable);
  }
  co_return true;
}

TEST(Pool, PipelinesConcurrentCallsOverOneConnection) {
  SleepServer server;
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", server.port(), PoolOptions{.max_connections = 1});
  constexpr int calls = 40;
  std::vector<Outcome> out(calls);
  const auto start = Clock::now();
  for (int i = 0; i < calls; ++i) pool.async_call(sleep_request(300, i), record(out[i]));
  run_until_idle(io);
  for (int i = 0; i < calls; ++i) {
    ASSERT_TRUE(out[i].done);
    ASSERT_FALSE(out[i].error) << i;
    EXPECT_EQ(out[i].response["seq"], Value(i));
  }
  // One after the other they would take 12 s; together, one sleep and change.
  EXPECT_LT(Clock::now() - start, 6s);
  EXPECT_EQ(server.stats().connections_total, 1u);
  EXPECT_EQ(pool.stats().connects, 1u);
  EXPECT_EQ(pool.stats().in_flight, 0u);
}

TEST(Pool, NeverOpensMoreThanMaxConnectionsNorPipelinesMoreThanMaxPipeline) {
  SleepServer server;
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", server.port(), PoolOptions{.max_connections = 3, .max_pipeline = 2});
  constexpr int calls = 30;
  std::vector<Outcome> out(calls);
  const auto start = Clock::now();
  for (int i = 0; i < calls; ++i) pool.async_call(sleep_request(100, i), record(out[i]));
  Pool::Stats queued;
  asio::post(io, [&] { queued = pool.stats(); });  // after the calls, which are posted too
  run_until_idle(io);
  EXPECT_EQ(queued.connections, 3u);
  EXPECT_EQ(queued.in_flight, 6u);
  EXPECT_EQ(queued.waiting, 24u);
  for (int i = 0; i < calls; ++i) {
    ASSERT_FALSE(out[i].error) << i;
    EXPECT_EQ(out[i].response["seq"], Value(i));
  }
  // Six at a time: at least five rounds of 100 ms.
  EXPECT_GE(Clock::now() - start, 490ms);
  EXPECT_EQ(server.stats().connections_total, 3u);
  EXPECT_EQ(pool.stats().connects, 3u);
}

TEST(Pool, ErrorRecordsAreServerErrorsAndTheConnectionCarriesOn) {
  SleepServer server;
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", server.port(), PoolOptions{.max_connections = 1});
  Outcome unknown, ping;
  const Value nope = Dict{{"op", "nope"}, {"id", 7}};
  pool.async_call(nope, record(unknown));
  pool.async_call(Dict{{"op", "ping"}}, record(ping));
  run_until_idle(io);
  try {
    std::rethrow_exception(unknown.error);
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "unknown_op");
    EXPECT_EQ(e.id(), Value(7));
  }
  ASSERT_FALSE(ping.error);
  EXPECT_EQ(ping.response, Value(Dict{{"pong", true}}));
  EXPECT_EQ(pool.stats().connects, 1u);
}

TEST(Pool, ReplacesAConnectionTheServerClosedWhileIdle) {
  SleepServer server(200ms);  // idle connections close after 200 ms
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", server.port());
  Outcome first, second;
  // (Not a braced temporary inside co_await: GCC 12 rejects those.)
  const Value ping = Dict{{"op", "ping"}};
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        first.response = co_await pool.async_call(ping, asio::use_awaitable);
        EXPECT_TRUE(co_await until([&] { return server.stats().connections_open == 0; }));
        second.response = co_await pool.async_call(ping, asio::use_awaitable);
      },
      test::rethrow_failure);
  run_until_idle(io);
  EXPECT_EQ(first.response, Value(Dict{{"pong", true}}));
  EXPECT_EQ(second.response, Value(Dict{{"pong", true}}));
  EXPECT_EQ(pool.stats().connects, 2u);
  EXPECT_EQ(server.stats().connections_total, 2u);
}

TEST(Pool, ABrokenConnectionFailsItsCallAndTheNextCallGetsANewOne) {
  // First connection: the request is read, then the peer hangs up.
  // Second: answered.
  int connection = 0;
  test::RawPeer peer(
      [&](int fd) {
        test::RawPeer::read_requests(fd, 1);
        if (connection++ == 1) test::RawPeer::write_bytes(fd, encode_flux(Value(Dict{{"ok", true}})));
      },
      2);
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", peer.port());
  Outcome broken, replaced;
  pool.async_call(Value(Dict{{"op", "a"}}), [&](std::exception_ptr error, Value response) {
    record(broken)(error, std::move(response));
    pool.async_call(Value(Dict{{"op", "b"}}), record(replaced));
  });
  run_until_idle(io);
  EXPECT_EQ(client_errc(broken.error), ClientErrc::connection_closed);
  ASSERT_FALSE(replaced.error);
  EXPECT_EQ(replaced.response, Value(Dict{{"ok", true}}));
  EXPECT_EQ(pool.stats().connects, 2u);
  EXPECT_EQ(pool.stats().connections, 1u);
}

TEST(Pool, CancellingTheContextEndsTheCallAtOnceAndTheServerCancelsItsHandler) {
  SleepServer server;
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", server.port());
  CallContext ctx;
  Outcome out;
  Clock::time_point cancelled_at;
  pool.async_call(sleep_request(10'000, 1), ctx, record(out));
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await until([&] { return server.started == 1; }));
        cancelled_at = Clock::now();
        ctx.cancel();
      },
      test::rethrow_failure);
  run_until_idle(io);
  ASSERT_TRUE(out.done);
  EXPECT_EQ(client_errc(out.error), ClientErrc::cancelled);
  EXPECT_LT(out.at - cancelled_at, 1s);
  // Its connection carried nothing else: closed, so the server cancelled the sleep.
  EXPECT_TRUE(test::eventually([&] { return server.cancelled == 1; }));
  EXPECT_EQ(pool.stats().connections, 0u);
}

TEST(Pool, TheContextDeadlineTravelsAsDeadlineMsAndEndsTheCall) {
  SleepServer server;
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", server.port());
  const auto start = Clock::now();
  CallContext ctx(start + 400ms);
  Outcome quick, slow;
  pool.async_call(sleep_request(0, 1), ctx, record(quick));
  pool.async_call(sleep_request(10'000, 2), ctx, record(slow));
  run_until_idle(io);
  ASSERT_FALSE(quick.error);
  const Value sent = quick.response["deadline_ms"];
  ASSERT_TRUE(sent.is_int()) << quick.response;
  EXPECT_GT(sent.as_int(), 0);
  EXPECT_LE(sent.as_int(), 400);
  EXPECT_EQ(client_errc(slow.error), ClientErrc::timeout);
  EXPECT_GE(slow.at - start, 400ms);
  EXPECT_LT(slow.at - start, 1400ms);
  // The server had the deadline too: it cancelled its handler.
  EXPECT_TRUE(test::eventually([&] { return server.cancelled == 1; }));
}

TEST(Pool, ALateResponseIsDiscardedNotMatchedToTheNextCall) {
  SleepServer server;
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", server.port(), PoolOptions{.max_connections = 1});
  CallContext first_ctx;
  Outcome first, second;
  // Same connection, in this order: the first answer (at 400 ms) comes
  // before the second (at 300 ms, held behind it).
  pool.async_call(sleep_request(400, 1), first_ctx, record(first));
  pool.async_call(sleep_request(300, 2), record(second));
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await until([&] { return server.started == 2; }));
        first_ctx.cancel();  // the second call is live: the connection stays
      },
      test::rethrow_failure);
  run_until_idle(io);
  EXPECT_EQ(client_errc(first.error), ClientErrc::cancelled);
  ASSERT_FALSE(second.error);
  EXPECT_EQ(second.response["seq"], Value(2));
  EXPECT_EQ(pool.stats().discarded, 1u);
  EXPECT_EQ(pool.stats().connects, 1u);
  EXPECT_EQ(server.cancelled, 0);
}

TEST(Pool, ClosingThePoolFailsItsCalls) {
  SleepServer server;
  asio::io_context io;
  Pool pool(io.get_executor(), "127.0.0.1", server.port());
  Outcome out;
  pool.async_call(sleep_request(10'000, 1), record(out));
  asio::co_spawn(
      io,
      [&]() -> asio::awaitable<void> {
        EXPECT_TRUE(co_await until([&] { return server.started == 1; }));
        pool.close();
      },
      test::rethrow_failure);
  run_until_idle(io);
  EXPECT_EQ(client_errc(out.error), ClientErrc::cancelled);
  EXPECT_TRUE(test::eventually([&] { return server.cancelled == 1; }));
}

TEST(Pool, ACallFromAnotherThreadIsPostedToThePoolsThread) {
  SleepServer server;
  asio::io_context io;
  auto work = asio::make_work_guard(io);
  std::thread runner([&] { io.run(); });
  Pool pool(io.get_executor(), "127.0.0.1", server.port());
  std::promise<std::pair<std::thread::id, Value>> answered;
  pool.async_call(Value(Dict{{"op", "ping"}}), [&](std::exception_ptr error, Value response) {
    EXPECT_FALSE(error);
    answered.set_value({std::this_thread::get_id(), std::move(response)});
  });
  auto future = answered.get_future();
  ASSERT_EQ(future.wait_for(10s), std::future_status::ready);
  const auto [thread, response] = future.get();
  EXPECT_EQ(thread, runner.get_id());
  EXPECT_EQ(response, Value(Dict{{"pong", true}}));
  asio::post(io, [&] { pool.close(); });  // on its thread
  work.reset();
  runner.join();
}

}  // namespace
}  // namespace crous::client
