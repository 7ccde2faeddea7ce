// Session lifetime under races: clients vanishing (FIN or RST) while their
// offloaded requests run or wait on the worker pool, and server shutdown with
// offloads still queued. Meant to be run under ASan/TSan as well.
#include <gtest/gtest.h>
#include <sys/socket.h>

#include <atomic>
#include <thread>
#include <vector>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

void reset_on_close(int fd) {
  linger l{1, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_LINGER, &l, sizeof l);
}

void add_slow(server::Router& r, std::chrono::microseconds delay) {
  r.add_offloaded("slow", [delay](const Value& req) {
    std::this_thread::sleep_for(delay);
    return Value(Dict{{"slow", req["id"]}});
  });
}

TEST(SessionLifetime, ClientsVanishWhileTheirOffloadsRun) {
  auto options = test_options();
  options.workers = 2;
  TestServer server(options, [](server::Router& r) { add_slow(r, 300us); });
  for (int round = 0; round < 6; ++round) {
    std::vector<std::thread> clients;
    for (int t = 0; t < 8; ++t)
      clients.emplace_back([&, t] {
        Client c(server.port());
        for (int i = 0; i < 20; ++i) c.send(Dict{{"op", "slow"}, {"id", i}});
        c.send(Dict{{"op", "echo"}, {"id", -1}});
        if ((t + round) % 3 == 0) (void)c.read();  // one answer, then leave
        if ((t + round) % 2 == 0) reset_on_close(c.fd());
        else c.shutdown_write();
      });
    for (auto& c : clients) c.join();
  }
  // The server is still healthy.
  Client c(server.port());
  c.send(Dict{{"op", "slow"}, {"id", 7}});
  EXPECT_EQ(c.read(), Value(Dict{{"slow", 7}}));
}

TEST(SessionLifetime, ShutdownWithOffloadsQueuedAndConnectionsForceClosed) {
  for (int round = 0; round < 4; ++round) {
    auto options = test_options();
    options.workers = 1;
    options.drain_timeout = 100ms;
    auto server = std::make_unique<TestServer>(options, [](server::Router& r) { add_slow(r, 20ms); });
    std::vector<std::unique_ptr<Client>> clients;
    for (int t = 0; t < 4; ++t) {
      clients.push_back(std::make_unique<Client>(server->port(), true, 4096));
      // An unfinished record keeps the connection from draining quietly.
      for (int i = 0; i < 10; ++i) clients.back()->send(Dict{{"op", "slow"}, {"id", i}});
      std::uint8_t partial[] = {'F', 'L', 'U', 'X'};
      clients.back()->send_bytes(partial, sizeof partial);
    }
    std::this_thread::sleep_for(30ms);
    if (round % 2) clients.clear();
    server.reset();  // drains, force-closes, drops queued offloads
  }
}

}  // namespace
}  // namespace crous::test
