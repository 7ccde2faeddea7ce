// Async handlers (Router::add_async, add_async_callback) on a real server:
// concurrency with responses in request order, errors, deadlines
// ("deadline_ms", route timeouts), cancellation when the client goes away,
// the per-connection in-flight cap, and the drain.
#include <gtest/gtest.h>

#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <sys/socket.h>

#include <atomic>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "crous/server/error_record.hpp"
#include "server_test_util.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"
#include "tls_test_client.hpp"

namespace crous::test {
namespace {

namespace asio = boost::asio;
using Clock = std::chrono::steady_clock;
using server::RequestContext;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

// {"op": "wait", "ms": n, "id": i} -> {"waited": n} after n ms (ids are
// echoed into responses by the tests' requests), ended early by a
// cancellation. Counts starts and the reason of each cancellation.
struct Waits {
  std::atomic<int> started{0};
  std::atomic<int> finished{0};
  std::atomic<int> peak{0};  // most handlers between start and finish at once
  std::mutex mutex;
  std::vector<client::CancelReason> cancelled;  // guarded by mutex

  std::size_t cancelled_count() {
    std::lock_guard lock(mutex);
    return cancelled.size();
  }
  std::optional<client::CancelReason> first_cancel() {
    std::lock_guard lock(mutex);
    if (cancelled.empty()) return std::nullopt;
    return cancelled.front();
  }

  asio::awaitable<Value> wait(const Value& request, RequestContext& ctx) {
    const int running = ++started - finished;
    for (int seen = peak; running > seen && !peak.compare_exchange_weak(seen, running);) {
    }
    asio::steady_timer timer(ctx.get_executor(), std::chrono::milliseconds(request["ms"].as_int()));
    auto stop = ctx.on_cancel([&timer] { timer.cancel(); });
    boost::system::error_code ec;
    if (!ctx.cancelled()) co_await timer.async_wait(asio::redirect_error(asio::use_awaitable, ec));
    if (ctx.cancelled()) {
      std::lock_guard lock(mutex);
      cancelled.push_back(ctx.cancel_reason());
    }
    ++finished;
    co_return Dict{{"waited", request["ms"]}, {"id", request["id"]}};
  }

  void add_to(server::Router& r, std::chrono::milliseconds timeout = {}) {
    r.add_async(
        "wait", [this](const Value& request, RequestContext& ctx) { return wait(request, ctx); }, timeout);
  }
};

Value wait_request(int ms, int id) { return Dict{{"op", "wait"}, {"ms", ms}, {"id", id}}; }

TEST(AsyncHandlers, RunConcurrentlyAndAnswerInRequestOrder) {
  Waits waits;
  TestServer server(test_options(), [&](server::Router& r) { waits.add_to(r); });
  Client c(server.port());
  Bytes wire;
  // Later requests finish first: 500, 450, ..., 50 ms.
  for (int i = 0; i < 10; ++i) encode_flux(wait_request((10 - i) * 50, i), wire);
  c.send_bytes(wire);
  for (int i = 0; i < 10; ++i) {
    const Value v = c.read();
    EXPECT_EQ(v["id"], Value(i)) << v;
    EXPECT_EQ(v["waited"], Value((10 - i) * 50));
  }
  // All ten waited at once (one after the other, at most one would be
  // between start and finish): the batch's starts are queued on the I/O
  // thread before the first timer, 50 ms, can fire.
  EXPECT_EQ(waits.peak, 10);
  EXPECT_TRUE(eventually([&] { return server.server().stats().async_running == 0; }));
}

TEST(AsyncHandlers, ExceptionsBecomeErrorRecordsAndTheConnectionGoesOn) {
  TestServer server(test_options(), [](server::Router& r) {
    r.add_async("not_found", [](const Value&, RequestContext& ctx) -> asio::awaitable<Value> {
      asio::steady_timer timer(ctx.get_executor(), std::chrono::milliseconds(5));
      co_await timer.async_wait(asio::use_awaitable);
      throw server::HandlerError("not_found", "no such thing");
    });
    r.add_async("broken", [](const Value& request, RequestContext&) -> asio::awaitable<Value> {
      if (request.is_dict()) throw std::runtime_error("broken before its first wait");
      co_return Value();
    });
    // Not a coroutine: throws while making the awaitable.
    r.add_async("refuses", [](const Value&, RequestContext&) -> asio::awaitable<Value> {
      throw std::runtime_error("no awaitable for you");
    });
  });
  Client c(server.port());
  c.send(Dict{{"op", "not_found"}, {"id", 1}});
  c.send(Dict{{"op", "broken"}, {"id", 2}});
  c.send(Dict{{"op", "refuses"}, {"id", 3}});
  c.send(Dict{{"op", "ping"}});
  Value v = c.read();
  EXPECT_EQ(error_code_of(v), "not_found") << v;
  EXPECT_EQ(v["id"], Value(1));
  v = c.read();
  EXPECT_EQ(error_code_of(v), "handler_error") << v;
  EXPECT_EQ(v["error"]["message"], Value("broken before its first wait"));
  v = c.read();
  EXPECT_EQ(error_code_of(v), "handler_error") << v;
  EXPECT_EQ(v["id"], Value(3));
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
  EXPECT_EQ(server.server().stats().handler_errors, 3u);
}

TEST(AsyncHandlers, CallbackHandlersAnswerFromAnyThreadAndTheirExceptionsAreErrorRecords) {
  std::mutex threads_mutex;
  std::vector<std::thread> threads;
  {
    TestServer server(test_options(), [&](server::Router& r) {
      r.add_async_callback("later", [&](const Value& request, RequestContext&, server::Responder responder) {
        std::lock_guard lock(threads_mutex);
        threads.emplace_back([request, responder = std::move(responder)]() mutable {
          std::this_thread::sleep_for(std::chrono::milliseconds(request["ms"].as_int()));
          if (request.contains("fail"))
            responder.fail(std::make_exception_ptr(server::HandlerError("refused", "as asked")));
          else
            responder.respond(Dict{{"id", request["id"]}});
        });
      });
      r.add_async_callback("forgets", [](const Value&, RequestContext&, server::Responder) {});
      // Throws on the I/O thread before handing its Responder on.
      r.add_async_callback("checks", [](const Value& request, RequestContext&, server::Responder) {
        if (!request.contains("ms")) throw server::HandlerError("bad_request", "checks needs 'ms'");
      });
    });
    Client c(server.port());
    c.send(Dict{{"op", "later"}, {"ms", 200}, {"id", 1}});
    c.send(Dict{{"op", "later"}, {"ms", 10}, {"id", 2}});
    c.send(Dict{{"op", "later"}, {"ms", 10}, {"id", 3}, {"fail", true}});
    c.send(Dict{{"op", "forgets"}, {"id", 4}});
    c.send(Dict{{"op", "checks"}, {"id", 5}});
    c.send(Dict{{"op", "ping"}});
    EXPECT_EQ(c.read(), Value(Dict{{"id", 1}}));
    EXPECT_EQ(c.read(), Value(Dict{{"id", 2}}));
    Value v = c.read();
    EXPECT_EQ(error_code_of(v), "refused") << v;
    v = c.read();
    EXPECT_EQ(error_code_of(v), "handler_error") << v;
    EXPECT_EQ(v["id"], Value(4));
    v = c.read();
    EXPECT_EQ(error_code_of(v), "bad_request") << v;
    EXPECT_EQ(v["error"]["message"], Value("checks needs 'ms'"));
    EXPECT_EQ(v["id"], Value(5));
    EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
  }
  for (auto& t : threads) t.join();
}

TEST(AsyncHandlers, APassedDeadlineIsAnsweredOnTimeAndCancelsTheHandler) {
  Waits waits;
  TestServer server(test_options(), [&](server::Router& r) { waits.add_to(r); });
  Client c(server.port());
  expect_deadline_exceeded_on_time(c, wait_request(10'000, 1), 300, 1);
  ASSERT_TRUE(eventually([&] { return waits.cancelled_count() == 1; }));
  EXPECT_EQ(waits.first_cancel(), client::CancelReason::deadline);
  EXPECT_EQ(server.server().stats().deadline_exceeded, 1u);
  // The handler's late answer was dropped: the next response is the next request's.
  c.send(Dict{{"op", "ping"}});
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
}

TEST(AsyncHandlers, TheRouteTimeoutAnswersHandlerTimeoutUnlessTheRequestsDeadlineIsEarlier) {
  Waits waits;
  TestServer server(test_options(), [&](server::Router& r) { waits.add_to(r, std::chrono::milliseconds(200)); });
  Client c(server.port());
  c.send(wait_request(10'000, 1));
  Value early = wait_request(10'000, 2);
  early.as_dict().insert_or_assign("deadline_ms", 50);
  c.send(early);
  c.send(wait_request(10, 3));
  Value v = c.read();
  EXPECT_EQ(error_code_of(v), "handler_timeout") << v;
  EXPECT_EQ(v["id"], Value(1));
  v = c.read();
  EXPECT_EQ(error_code_of(v), "deadline_exceeded") << v;
  EXPECT_EQ(c.read(), Value(Dict{{"waited", 10}, {"id", 3}}));
  ASSERT_TRUE(eventually([&] { return waits.cancelled_count() == 2; }));
}

TEST(AsyncHandlers, AMalformedOrZeroDeadlineIsAnsweredWithoutRunningTheHandler) {
  std::atomic<int> runs{0};
  Waits waits;
  TestServer server(test_options(), [&](server::Router& r) {
    waits.add_to(r);
    r.add("count", [&](const Value&) {
      ++runs;
      return Value(Dict{{"runs", runs.load()}});
    });
  });
  Client c(server.port());
  c.send(Dict{{"op", "count"}, {"deadline_ms", "soon"}, {"id", 1}});
  c.send(Dict{{"op", "count"}, {"deadline_ms", -5}});
  c.send(Dict{{"op", "count"}, {"deadline_ms", 0}, {"id", 3}});
  c.send(Dict{{"op", "wait"}, {"ms", 10}, {"deadline_ms", 0}});
  c.send(Dict{{"op", "count"}, {"deadline_ms", 1000}});
  Value v = c.read();
  EXPECT_EQ(error_code_of(v), "bad_request") << v;
  EXPECT_EQ(v["id"], Value(1));
  EXPECT_EQ(error_code_of(c.read()), "bad_request");
  v = c.read();
  EXPECT_EQ(error_code_of(v), "deadline_exceeded") << v;
  EXPECT_EQ(v["id"], Value(3));
  EXPECT_EQ(error_code_of(c.read()), "deadline_exceeded");
  EXPECT_EQ(c.read(), Value(Dict{{"runs", 1}}));  // an inline handler just runs within its deadline
  EXPECT_EQ(waits.started, 0);
  EXPECT_EQ(server.server().stats().deadline_exceeded, 2u);
}

TEST(AsyncHandlers, AnOffloadedJobWhoseDeadlinePassedWhileQueuedIsNotRun) {
  std::atomic<int> runs{0};
  auto options = test_options();
  options.workers = 1;
  TestServer server(options, [&](server::Router& r) {
    r.add_offloaded("block", [&](const Value& request) {
      ++runs;
      std::this_thread::sleep_for(std::chrono::milliseconds(300));
      return Value(Dict{{"id", request["id"]}});
    });
  });
  Client c(server.port());
  c.send(Dict{{"op", "block"}, {"id", 1}});
  c.send(Dict{{"op", "block"}, {"id", 2}, {"deadline_ms", 100}});  // waits behind 1 for the one worker
  EXPECT_EQ(c.read(), Value(Dict{{"id", 1}}));
  const Value v = c.read();
  EXPECT_EQ(error_code_of(v), "deadline_exceeded") << v;
  ASSERT_TRUE(eventually([&] {
    const auto s = server.server().stats();
    return s.offloads_queued == 0 && s.offloads_running == 0;
  }));
  EXPECT_EQ(runs, 1);
}

TEST(AsyncHandlers, TheClientGoingAwayCancelsItsHandlersAndNothingIsWritten) {
  Waits waits;
  TestServer server(test_options(), [&](server::Router& r) { waits.add_to(r); });
  {
    Client c(server.port());
    c.send(wait_request(10'000, 1));
    c.send(wait_request(10'000, 2));
    ASSERT_TRUE(eventually([&] { return waits.started == 2; }));
  }  // closed
  const auto closed = Clock::now();
  ASSERT_TRUE(eventually([&] { return waits.cancelled_count() == 2; }));
  EXPECT_LT(ms_since(closed), 2000);
  EXPECT_EQ(waits.first_cancel(), client::CancelReason::disconnected);
  ASSERT_TRUE(eventually([&] {
    const auto s = server.server().stats();
    return s.async_running == 0 && s.connections_open == 0;
  }));
  EXPECT_EQ(server.server().stats().records_out, 0u);
}

// A connection at its in-flight cap is not read, so no read sees the client
// go; the server still notices it (without reading the requests queued
// behind the cap) and cancels the handlers at once, not when they end.
TEST(AsyncHandlers, AClientGoingAwayWhileAtTheInFlightCapCancelsItsHandlersPromptly) {
  enum class Leave { close, reset, half_close };
  for (const Leave leave : {Leave::close, Leave::reset, Leave::half_close}) {
    SCOPED_TRACE(leave == Leave::close ? "close" : leave == Leave::reset ? "reset" : "half-close");
    Waits waits;
    const auto options = test_options();
    const int cap = static_cast<int>(options.max_offloads_per_connection);
    TestServer server(options, [&](server::Router& r) { waits.add_to(r); });
    auto c = std::make_unique<Client>(server.port());
    Bytes wire;
    // The cap's worth of long waits, and more requests the server may not read yet.
    for (int i = 0; i < cap + 8; ++i) encode_flux(wait_request(30'000, i), wire);
    c->send_bytes(wire);
    ASSERT_TRUE(eventually([&] { return waits.started == cap; }));
    const auto left = Clock::now();
    switch (leave) {
      case Leave::close: c.reset(); break;  // a FIN: nothing unread on the client's side
      case Leave::reset: {
        const linger abort{1, 0};
        ::setsockopt(c->fd(), SOL_SOCKET, SO_LINGER, &abort, sizeof abort);
        c.reset();
        break;
      }
      case Leave::half_close: c->shutdown_write(); break;
    }
    ASSERT_TRUE(eventually([&] { return waits.cancelled_count() == static_cast<std::size_t>(cap); }, 5s))
        << waits.cancelled_count() << " of " << cap << " handlers cancelled";
    EXPECT_LT(ms_since(left), 2000);
    {
      std::lock_guard lock(waits.mutex);
      for (const auto reason : waits.cancelled) EXPECT_EQ(reason, client::CancelReason::disconnected);
    }
    EXPECT_EQ(waits.started, cap);  // the requests behind the cap never ran
    if (c) {
      EXPECT_TRUE(c->closed_without_more_data(2s));
    }
    ASSERT_TRUE(eventually([&] {
      const auto s = server.server().stats();
      return s.async_running == 0 && s.connections_open == 0;
    }));
    EXPECT_EQ(server.server().stats().records_out, 0u);
  }
}

// The same on the TLS port: what is watched there is the TCP connection
// under TLS. The client closes without close_notify.
TEST(AsyncHandlers, ATlsClientGoingAwayWhileAtTheInFlightCapCancelsItsHandlersPromptly) {
  TestPki ca;
  const TestPki::Issued cert = ca.issue_server();
  Waits waits;
  auto options = test_options();
  options.port = std::nullopt;
  options.tls_port = 0;
  options.tls_cert_file = cert.cert.string();
  options.tls_key_file = cert.key.string();
  options.max_offloads_per_connection = 8;
  TestServer server(options, [&](server::Router& r) { waits.add_to(r); });
  {
    TlsClient c(server.server().tls_port(), {.ca_file = ca.ca_cert().string()});
    c.connect();
    Bytes wire;
    for (int i = 0; i < 12; ++i) encode_flux(wait_request(30'000, i), wire);
    c.send_bytes(wire);
    ASSERT_TRUE(eventually([&] { return waits.started == 8; }));
  }  // closed
  const auto closed = Clock::now();
  ASSERT_TRUE(eventually([&] { return waits.cancelled_count() == 8; }, 5s));
  EXPECT_LT(ms_since(closed), 2000);
  EXPECT_EQ(waits.first_cancel(), client::CancelReason::disconnected);
  EXPECT_EQ(waits.started, 8);
  EXPECT_TRUE(eventually([&] { return server.server().stats().connections_open == 0; }));
}

TEST(AsyncHandlers, InFlightRequestsPerConnectionAreCapped) {
  Waits waits;
  auto options = test_options();
  options.max_offloads_per_connection = 4;
  TestServer server(options, [&](server::Router& r) { waits.add_to(r); });
  Client c(server.port());
  Bytes wire;
  for (int i = 0; i < 20; ++i) encode_flux(wait_request(50, i), wire);
  c.send_bytes(wire);
  std::uint64_t most = 0;
  for (int i = 0; i < 20; ++i) {
    most = std::max(most, server.server().stats().async_running);
    EXPECT_EQ(c.read()["id"], Value(i));
  }
  EXPECT_LE(most, 4u);
  EXPECT_EQ(waits.finished, 20);
}

TEST(AsyncHandlers, TheDrainWaitsForAsyncHandlers) {
  Waits waits;
  TestServer server(test_options(), [&](server::Router& r) { waits.add_to(r); });
  Client c(server.port());
  c.send(wait_request(400, 1));
  ASSERT_TRUE(eventually([&] { return waits.started == 1; }));
  server.server().shutdown();
  EXPECT_EQ(c.read(), Value(Dict{{"waited", 400}, {"id", 1}}));
  EXPECT_TRUE(c.closed_without_more_data());
  EXPECT_EQ(waits.cancelled_count(), 0u);
}

// Parameter: whether the client is still connected when the drain begins
// (if not, the drain has no connection to wait for and its timer never fires).
class StubbornHandler : public ::testing::TestWithParam<bool> {};

TEST_P(StubbornHandler, CannotHoldTheExitPastTheDrainDeadline) {
  const bool client_stays = GetParam();
  auto options = test_options();
  options.drain_timeout = std::chrono::milliseconds(300);
  std::atomic<int> started{0};
  auto server = std::make_unique<server::Server>(options);
  server->router().add_async("stubborn", [&](const Value&, RequestContext& ctx) -> asio::awaitable<Value> {
    ++started;
    asio::steady_timer timer(ctx.get_executor(), std::chrono::seconds(60));  // not tied to ctx
    co_await timer.async_wait(asio::use_awaitable);
    co_return Value();
  });
  server->start();
  auto c = std::make_unique<Client>(server->port());
  c->send(Dict{{"op", "stubborn"}});
  ASSERT_TRUE(eventually([&] { return started == 1; }));
  if (!client_stays) {
    c.reset();
    ASSERT_TRUE(eventually([&] { return server->stats().connections_open == 0; }));
  }
  const auto stopping = Clock::now();
  server->shutdown();
  server->wait();
  // drain_timeout, then at most a second's grace for the I/O threads.
  EXPECT_LT(ms_since(stopping), 300 + 1000 + 1500);
  server.reset();  // destroys the handler's frame with the shards
}
INSTANTIATE_TEST_SUITE_P(AsyncHandlers, StubbornHandler, ::testing::Bool(),
                         [](const auto& info) { return info.param ? "ClientConnected" : "ClientGone"; });

// Server::keep: what handlers use (Pools, say) is made where the routes are
// registered and must outlive the drain, then go before the I/O contexts.
TEST(AsyncHandlers, KeptObjectsOutliveTheDrainAndGoLastKeptFirst) {
  struct Probe {
    Probe(std::vector<int>& log, int id) : log(log), id(id) {}
    Probe(const Probe&) = delete;
    Probe& operator=(const Probe&) = delete;
    ~Probe() { log.push_back(id); }
    std::vector<int>& log;
    int id;
    std::atomic<int> uses{0};
  };
  std::vector<int> destroyed;
  std::atomic<int> started{0};
  auto server = std::make_unique<server::Server>(test_options());
  auto& first = server->keep(std::make_unique<Probe>(destroyed, 1));
  server->keep(std::make_unique<Probe>(destroyed, 2));
  server->router().add_async("use", [&](const Value&, RequestContext& ctx) -> asio::awaitable<Value> {
    ++started;
    asio::steady_timer timer(ctx.get_executor(), std::chrono::milliseconds(300));
    co_await timer.async_wait(asio::use_awaitable);
    co_return Dict{{"uses", ++first.uses}};  // after the drain began
  });
  server->start();
  Client c(server->port());
  c.send(Dict{{"op", "use"}});
  ASSERT_TRUE(eventually([&] { return started == 1; }));
  server->shutdown();
  EXPECT_EQ(c.read(), Value(Dict{{"uses", 1}}));
  server->wait();
  EXPECT_TRUE(destroyed.empty()) << "kept objects must live as long as the Server";
  server.reset();
  EXPECT_EQ(destroyed, (std::vector<int>{2, 1}));
}

}  // namespace
}  // namespace crous::test
