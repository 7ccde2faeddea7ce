// Graceful shutdown: stop accepting, answer everything received, close.
// The SIGTERM tests run the real crous-server binary.
#include <gtest/gtest.h>
#include <signal.h>

#include <thread>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

Bytes numbered_records(int count, std::size_t pad) {
  Bytes wire;
  for (int i = 0; i < count; ++i) encode_flux(Dict{{"id", i}, {"pad", std::string(pad, 'p')}}, wire);
  return wire;
}

TEST(ServerShutdown, SigtermDuringAPipelinedBurstAnswersEveryRecordSent) {
  ServerProcess proc({"--port", "0", "--threads", "2"});
  Client c(proc.port());
  constexpr int kRecords = 200'000;
  Bytes wire = numbered_records(kRecords, 20);
  std::atomic<bool> send_failed{false};
  std::thread writer([&] {
    try {
      c.send_bytes(wire);
    } catch (const std::exception&) {
      send_failed = true;
    }
  });
  // Signal once the server is visibly in the middle of the burst.
  Value first = c.read();
  ASSERT_EQ(first["id"], Value(0));
  proc.signal(SIGTERM);
  int answered = 1;
  for (;;) {
    Value v;
    auto r = c.next(v, 15s);
    if (r != Client::Next::record) {
      EXPECT_EQ(r, Client::Next::eof);
      break;
    }
    ASSERT_EQ(v["id"], Value(answered)) << "out of order";
    ++answered;
  }
  writer.join();
  EXPECT_FALSE(send_failed.load());
  EXPECT_EQ(answered, kRecords) << proc.log();
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
  EXPECT_NE(proc.log().find("SIGTERM"), std::string::npos);
}

TEST(ServerShutdown, SigintWithIdleConnectionsExitsPromptly) {
  ServerProcess proc({"--port", "0", "--drain-timeout", "8s"});
  Client a(proc.port());
  Client b(proc.port());
  a.send(Dict{{"op", "ping"}});
  a.read();
  auto start = std::chrono::steady_clock::now();
  proc.signal(SIGINT);
  EXPECT_TRUE(a.closed_without_more_data(5s));
  EXPECT_TRUE(b.closed_without_more_data(5s));
  EXPECT_EQ(proc.wait_exit(5s), 0) << proc.log();
  // Idle connections do not hold shutdown to the drain deadline.
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
}

TEST(ServerShutdown, DrainDeadlineBoundsShutdownWhenAClientNeverReads) {
  ServerProcess proc({"--port", "0", "--drain-timeout", "1s", "--high-watermark", "64KiB"});
  Client hog(proc.port());
  Bytes wire = numbered_records(20'000, 200);
  std::size_t at = 0;
  // Fill every buffer between us and the server; never read.
  for (int stalls = 0; stalls < 20 && at < wire.size();) {
    std::size_t n = hog.send_some_nonblocking(wire.data() + at, wire.size() - at);
    at += n;
    if (n == 0) {
      ++stalls;
      std::this_thread::sleep_for(10ms);
    }
  }
  auto start = std::chrono::steady_clock::now();
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait_exit(5s), 0) << proc.log();
  auto took = std::chrono::steady_clock::now() - start;
  EXPECT_GE(took, 900ms);
  EXPECT_LT(took, 4s);
  EXPECT_NE(proc.log().find("drain deadline"), std::string::npos) << proc.log();
}

TEST(ServerShutdown, ConnectionStuckMidRecordAtTheDeadlineGetsShuttingDown) {
  auto options = test_options();
  options.drain_timeout = 500ms;
  server::Server server(options);
  server.start();
  Client c(server.port());
  c.send(Dict{{"op", "ping"}});
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
  Bytes half = encode_flux(Dict{{"id", 1}, {"text", "never finished"}});
  half.resize(half.size() / 2);
  c.send_bytes(half);
  auto start = std::chrono::steady_clock::now();
  server.shutdown();
  // The server waits for the rest of the record until the deadline.
  Value v = c.read(5s);
  EXPECT_EQ(error_code_of(v), "shutting_down") << v;
  EXPECT_GE(std::chrono::steady_clock::now() - start, 450ms);
  EXPECT_TRUE(c.closed_without_more_data());
  server.wait();
}

TEST(ServerShutdown, InProcessShutdownAnswersWhatWasReceivedAndRefusesNewConnections) {
  auto options = test_options();
  server::Server server(options);
  server.start();
  Client c(server.port());
  Bytes wire = numbered_records(5'000, 10);
  c.send_bytes(wire);
  c.shutdown_write();
  server.shutdown();
  for (int i = 0; i < 5'000; ++i) ASSERT_EQ(c.read()["id"], Value(i));
  EXPECT_TRUE(c.closed_without_more_data());
  server.wait();
  EXPECT_THROW(Client(server.port()), std::system_error);
}

}  // namespace
}  // namespace crous::test
