// Connection limits, timeouts, backpressure and offloaded handlers.
#include <gtest/gtest.h>

#include <random>
#include <thread>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

TEST(ServerLimits, ConnectionsBeyondMaxGetServerBusyAndAClose) {
  auto options = test_options();
  options.max_connections = 2;
  TestServer server(options);
  auto served = served_clients(server.port(), 2);
  Client refused(server.port());
  expect_refused_as_busy(refused);
  EXPECT_EQ(server.server().stats().connections_rejected, 1u);

  // A freed slot is usable again.
  served.front().reset();
  ASSERT_TRUE(eventually([&] { return server.server().stats().connections_open == 1; }));
  Client c(server.port());
  c.send(Dict{{"op", "ping"}});
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
}

TEST(ServerLimits, IdleConnectionsAreClosedAfterTheIdleTimeout) {
  auto options = test_options();
  options.idle_timeout = 500ms;
  TestServer server(options);
  Client idle(server.port());
  Client busy(server.port());
  auto start = std::chrono::steady_clock::now();
  // `busy` keeps talking for longer than the timeout and is not closed.
  for (int i = 0; i < 8; ++i) {
    busy.send(Dict{{"op", "ping"}});
    EXPECT_EQ(busy.read(), Value(Dict{{"pong", true}}));
    std::this_thread::sleep_for(100ms);
  }
  EXPECT_TRUE(idle.closed_without_more_data(5s));
  auto elapsed = std::chrono::steady_clock::now() - start;
  EXPECT_GE(elapsed, 500ms);
  busy.send(Dict{{"op", "ping"}});
  EXPECT_EQ(busy.read(), Value(Dict{{"pong", true}}));
  EXPECT_EQ(server.server().stats().idle_timeouts, 1u);
}

TEST(ServerLimits, ClientThatNeverReadsIsPausedThenClosedWithBoundedMemory) {
  auto options = test_options();
  options.high_watermark = 64 * 1024;
  options.write_timeout = 1s;
  TestServer server(options);
  Client hog(server.port());
  // 1 KiB echo records pushed without ever reading the responses.
  Bytes record = encode_flux(Dict{{"pad", std::string(1000, 'z')}});
  Bytes burst;
  for (int i = 0; i < 256; ++i) burst.insert(burst.end(), record.begin(), record.end());
  std::size_t rss_before = current_rss_bytes();
  std::size_t sent = 0;
  std::size_t at = 0;  // position in `burst`: partial sends must continue where they stopped
  auto deadline = std::chrono::steady_clock::now() + 20s;
  bool closed = false;
  // Keep offering data; the server stops reading (backpressure), so sends
  // stall, and after write_timeout without progress it drops the client.
  while (std::chrono::steady_clock::now() < deadline) {
    std::size_t n = 0;
    try {
      n = hog.send_some_nonblocking(burst.data() + at, burst.size() - at);
    } catch (const std::system_error&) {
      closed = true;  // reset by the server
      break;
    }
    sent += n;
    at = (at + n) % burst.size();
    if (n == 0) {
      if (server.server().stats().slow_consumers == 1) {
        closed = true;
        break;
      }
      std::this_thread::sleep_for(10ms);
    }
  }
  EXPECT_TRUE(closed);
  EXPECT_EQ(server.server().stats().slow_consumers, 1u);
  // What the server held for this client is bounded by the watermark plus
  // socket buffers, not by what the client tried to send.
  std::size_t grown = current_rss_bytes() > rss_before ? current_rss_bytes() - rss_before : 0;
  EXPECT_LT(grown, 32u << 20) << "sent " << sent;
  // Others are still served.
  Client other(server.port());
  other.send(Dict{{"op", "ping"}});
  EXPECT_EQ(other.read(), Value(Dict{{"pong", true}}));
}

TEST(ServerLimits, SlowButSteadyReaderIsNotTakenForASlowConsumer) {
  auto options = test_options();
  // The kernel may take several MiB in one write and wake the next write only
  // once a third of its buffer is free: at the pace below that is ~0.2 s, so
  // the timeout leaves room for sanitizer builds on a loaded machine.
  options.write_timeout = 1s;
  options.high_watermark = 64 * 1024;
  constexpr std::size_t kSize = 12u << 20;  // well beyond what loopback socket buffers absorb (~3.5 MiB)
  TestServer server(options, [](server::Router& r) {
    r.add("big", [](const Value&) { return Value(Bytes(kSize, 0x5a)); });
  });
  Client c(server.port(), true, 16 * 1024);
  c.send(Dict{{"op", "big"}});
  // 12 MiB at 256 KiB per 30 ms takes about 1.5 s, beyond the write
  // timeout, but every slice is progress.
  std::size_t got = 0;
  auto deadline = std::chrono::steady_clock::now() + 20s;
  bool stalled = false;  // closed, or nothing for a second
  while (got < kSize && !stalled && std::chrono::steady_clock::now() < deadline) {
    for (std::size_t slice = 0; slice < 256 * 1024;) {
      std::size_t n = c.receive_some(256 * 1024 - slice, 1s);
      if (n == 0) {
        stalled = got < kSize;
        break;
      }
      slice += n;
      got += n;
    }
    std::this_thread::sleep_for(30ms);
  }
  EXPECT_FALSE(stalled);
  EXPECT_EQ(c.read(), Value(Bytes(kSize, 0x5a)));
  EXPECT_EQ(server.server().stats().slow_consumers, 0u);
}

TEST(ServerLimits, OffloadedSlowHandlersKeepResponseOrder) {
  TestServer server(test_options(), [](server::Router& r) {
    r.add_offloaded("slow", [](const Value& req) {
      // Later requests finish first: sleep less for higher ids.
      auto id = req["id"].as_int();
      std::this_thread::sleep_for(std::chrono::microseconds((50 - id % 50) * 100));
      return Value(Dict{{"slow", id}});
    });
    r.add("fast", [](const Value& req) { return Value(Dict{{"fast", req["id"]}}); });
  });
  Client c(server.port());
  Bytes wire;
  for (int i = 0; i < 300; ++i) encode_flux(Dict{{"op", i % 3 == 0 ? "fast" : "slow"}, {"id", i}}, wire);
  c.send_bytes(wire);
  for (int i = 0; i < 300; ++i) {
    Value v = c.read();
    EXPECT_EQ(v, Value(Dict{{i % 3 == 0 ? "fast" : "slow", i}})) << "position " << i;
  }
}

TEST(ServerLimits, ResponsesWaitingOnAnOffloadDoNotBlockOtherConnections) {
  std::atomic<bool> release{false};
  TestServer server(test_options(), [&](server::Router& r) {
    r.add_offloaded("block", [&](const Value&) {
      while (!release) std::this_thread::sleep_for(1ms);
      return Value("released");
    });
  });
  Client blocked(server.port());
  blocked.send(Dict{{"op", "block"}});
  blocked.send(Dict{{"op", "ping"}});
  Client other(server.port());
  other.send(Dict{{"op", "ping"}});
  EXPECT_EQ(other.read(), Value(Dict{{"pong", true}}));
  Value v;
  EXPECT_EQ(blocked.next(v, 100ms), Client::Next::timeout);  // ping waits behind block
  release = true;
  EXPECT_EQ(blocked.read(), Value("released"));
  EXPECT_EQ(blocked.read(), Value(Dict{{"pong", true}}));
}

}  // namespace
}  // namespace crous::test
