// Offloaded handlers: one connection's queue cannot starve another's, the
// per-connection in-flight cap pauses reading, and a route timeout answers
// handler_timeout in the response's place.
#include <gtest/gtest.h>

#include <atomic>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

constexpr auto kSlow = 100ms;

void add_slow(server::Router& r) {
  r.add_offloaded("slow", [](const Value& req) {
    std::this_thread::sleep_for(kSlow);
    return Value(Dict{{"done", req["id"]}});
  });
}

TEST(FairWorkers, AHogWithHundredsQueuedDelaysAnotherConnectionByAboutOneHandler) {
  auto options = test_options();
  options.workers = 2;
  options.max_offloads_per_connection = 1000;  // the hog queues everything it sends
  TestServer server(options, add_slow);
  Client hog(server.port());
  Bytes wire;
  for (int i = 0; i < 400; ++i) encode_flux(Dict{{"op", "slow"}, {"id", i}}, wire);
  hog.send_bytes(wire);
  ASSERT_TRUE(eventually([&] { return server.server().stats().offloads_queued >= 300; }));

  Client other(server.port());
  auto sent = std::chrono::steady_clock::now();
  other.send(Dict{{"op", "slow"}, {"id", -1}});
  Value v;
  ASSERT_EQ(other.next(v, 20s), Client::Next::record);
  auto waited = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(v, Value(Dict{{"done", -1}}));
  // A FIFO shared by all would take 400 * 100 ms / 2 workers = 20 s; round
  // robin takes the next free worker: about one handler, plus its own run.
  EXPECT_LT(waited, 4 * kSlow + 500ms) << std::chrono::duration_cast<std::chrono::milliseconds>(waited).count() << " ms";
}

TEST(FairWorkers, OffloadsInFlightPerConnectionAreCapped) {
  auto options = test_options();
  options.workers = 2;
  options.max_offloads_per_connection = 8;
  TestServer server(options, [](server::Router& r) {
    r.add_offloaded("quick", [](const Value& req) {
      std::this_thread::sleep_for(5ms);
      return Value(Dict{{"done", req["id"]}});
    });
  });
  Client c(server.port());
  Bytes wire;
  for (int i = 0; i < 300; ++i) encode_flux(Dict{{"op", "quick"}, {"id", i}}, wire);
  c.send_bytes(wire);
  std::size_t most_in_flight = 0;
  for (int i = 0; i < 300; ++i) {
    auto stats = server.server().stats();
    most_in_flight = std::max<std::size_t>(most_in_flight, stats.offloads_queued + stats.offloads_running);
    EXPECT_EQ(c.read(), Value(Dict{{"done", i}})) << "position " << i;
  }
  // The pool counts a job as running until its worker is back, which is
  // just after the session saw its result: up to one per worker more.
  EXPECT_LE(most_in_flight, 8u + options.workers);
  EXPECT_GE(most_in_flight, 2u);
}

TEST(FairWorkers, ARouteTimeoutAnswersHandlerTimeoutAndDropsTheLateResult) {
  auto options = test_options();
  std::atomic<int> finished{0};
  TestServer server(options, [&](server::Router& r) {
    r.add_offloaded(
        "stuck",
        [&](const Value&) {
          std::this_thread::sleep_for(400ms);
          ++finished;
          return Value("late");
        },
        50ms);
  });
  Client c(server.port());
  auto sent = std::chrono::steady_clock::now();
  c.send(Dict{{"op", "stuck"}, {"id", 7}});
  c.send(Dict{{"op", "ping"}});
  Value v = c.read();
  auto waited = std::chrono::steady_clock::now() - sent;
  EXPECT_EQ(error_code_of(v), "handler_timeout") << v;
  EXPECT_EQ(v["id"], Value(7));
  EXPECT_LT(waited, 350ms);
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
  // The handler finishes later; its result is not sent.
  ASSERT_TRUE(eventually([&] { return finished == 1; }));
  std::this_thread::sleep_for(50ms);
  c.send(Dict{{"op", "ping"}});
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
  EXPECT_EQ(server.server().stats().handler_timeouts, 1u);
}

}  // namespace
}  // namespace crous::test
