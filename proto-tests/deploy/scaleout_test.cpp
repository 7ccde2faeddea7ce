// Scale-out behind HAProxy, for real: three crous-server processes (each in
// its own network namespace when the machine allows it), Debian's HAProxy
// running deploy/haproxy/haproxy.cfg as shipped, clients over TCP. Where each
// connection landed is read from the instances' own logs (the PROXY header
// names the client's port) and `stats`; when an instance dies or stops
// answering, how long HAProxy takes to mark it down is measured.
//
// Plain build only: under the sanitizers the servers are several times
// slower and the measured bounds would measure the sanitizers; the PROXY
// header code itself runs sanitized in proxy_protocol_test.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <iostream>
#include <memory>
#include <vector>

#include "flux_connection.hpp"
#include "scaleout_lab.hpp"

namespace crous::test {
namespace {

using namespace std::chrono_literals;

const Value kPong = Dict{{"pong", true}};

class ScaleOut : public ::testing::Test {
 protected:
  void SetUp() override {
#if defined(__SANITIZE_ADDRESS__)
    GTEST_SKIP() << "scale-out runs in the plain build only (sanitized servers are too slow for its time bounds)";
#endif
    std::string why;
    if (haproxy_program(why).empty()) GTEST_SKIP() << why;
    lab_ = std::make_unique<ScaleOutLab>();
  }

  // `n` connections through HAProxy, each answered once; the instance each
  // landed on (from the instances' logs) is counted in `landed`.
  std::vector<std::unique_ptr<FluxConnection>> connect(int n, std::array<int, ScaleOutLab::kInstances>& landed,
                                                       std::vector<int>* where = nullptr) {
    const std::vector<std::size_t> marks = lab_->log_marks();
    std::vector<std::unique_ptr<FluxConnection>> clients;
    for (int i = 0; i < n; ++i) {
      clients.push_back(std::make_unique<FluxConnection>("127.0.0.1", lab_->port()));
      EXPECT_EQ(clients.back()->call(Dict{{"op", "ping"}}), kPong);
    }
    for (const auto& c : clients) {
      const int instance = lab_->serving(c->local_port(), marks);
      EXPECT_GE(instance, 0) << "client 127.0.0.1:" << c->local_port() << " found in no instance's log, or in two";
      if (instance >= 0) ++landed[static_cast<std::size_t>(instance)];
      if (where) where->push_back(instance);
    }
    return clients;
  }

  static void report(const std::string& what, std::chrono::milliseconds took) {
    std::cout << "[ MEASURED ] " << what << ": " << took.count() << " ms\n";
    ::testing::Test::RecordProperty(what, static_cast<int>(took.count()));
  }

  std::unique_ptr<ScaleOutLab> lab_;
};

TEST_F(ScaleOut, FiftyConnectionsSpreadOverThreeInstancesAndAKilledOneIsTakenOut) {
  constexpr int kClients = 50;
  std::array<int, ScaleOutLab::kInstances> landed{};
  std::vector<int> where;
  auto clients = connect(kClients, landed, &where);
  std::cout << "[ MEASURED ] connections per instance: " << landed[0] << " / " << landed[1] << " / " << landed[2]
            << "\n";
  // leastconn over three idle instances: 16 or 17 each; checks in flight
  // may shift one or two.
  for (int i = 0; i < ScaleOutLab::kInstances; ++i) {
    EXPECT_GE(landed[static_cast<std::size_t>(i)], 14) << ScaleOutLab::name(i);
    // Its own count, through `stats` (minus the connection asking, and a
    // health check that may be open at that moment).
    const Value stats = lab_->stats(i);
    const std::int64_t open = stats["connections"]["open"].as_int() - 1;
    EXPECT_GE(open, landed[static_cast<std::size_t>(i)]) << stats;
    EXPECT_LE(open, landed[static_cast<std::size_t>(i)] + 1) << stats;
    EXPECT_EQ(stats["errors"]["proxy_header_invalid"].as_int(), 0) << stats;
  }

  // Kill one: HAProxy's checks (every 1 s, then every 200 ms once one has
  // failed; DOWN after 2) take it out.
  constexpr int kKilled = 1;
  lab_->signal(kKilled, SIGKILL);
  const auto down = lab_->haproxy().wait_status(ScaleOutLab::name(kKilled), "DOWN", 10s);
  ASSERT_TRUE(down) << lab_->haproxy().status(ScaleOutLab::name(kKilled)) << "\n" << lab_->haproxy().log();
  report("instance marked DOWN after SIGKILL", *down);
  // inter 1s + fastinter 200ms, a refused connection failing at once; the
  // rest is room for a loaded machine.
  EXPECT_LE(*down, 3000ms);

  // Its clients lost their connection; the others are still served.
  for (std::size_t c = 0; c < clients.size(); ++c) {
    if (where[c] == kKilled) {
      EXPECT_THROW(clients[c]->call(Dict{{"op", "ping"}}), std::exception);
    } else {
      EXPECT_EQ(clients[c]->call(Dict{{"op", "ping"}}), kPong);
    }
  }
  // New connections go to the two left.
  std::array<int, ScaleOutLab::kInstances> after{};
  auto more = connect(30, after);
  EXPECT_EQ(after[kKilled], 0);
  EXPECT_EQ(after[0] + after[2], 30);
}

TEST_F(ScaleOut, AnInstanceThatAcceptsButDoesNotAnswerIsTakenOutByTheFluxCheckAndComesBack) {
  constexpr int kStopped = 2;
  lab_->signal(kStopped, SIGSTOP);
  // The kernel still completes TCP handshakes for it: a TCP check would
  // keep it in. The FLUX ping gets no pong.
  FluxConnection accepted(lab_->network().host(kStopped).address, lab_->instance_port(kStopped));
  const auto down = lab_->haproxy().wait_status(ScaleOutLab::name(kStopped), "DOWN", 15s);
  lab_->signal(kStopped, SIGCONT);
  ASSERT_TRUE(down) << lab_->haproxy().status(ScaleOutLab::name(kStopped)) << "\n" << lab_->haproxy().log();
  report("unanswering instance marked DOWN", *down);
  // Two checks timing out (timeout check 1s) 200 ms apart, after up to 1 s.
  EXPECT_LE(*down, 6000ms);
  const auto up = lab_->haproxy().wait_status(ScaleOutLab::name(kStopped), "UP", 15s);
  ASSERT_TRUE(up) << lab_->haproxy().log();
  report("instance UP again after SIGCONT", *up);
  std::array<int, ScaleOutLab::kInstances> landed{};
  auto clients = connect(9, landed);
  // leastconn: the one that came back holds no connection, so it gets the
  // first and its share of the rest.
  EXPECT_GE(landed[kStopped], 3);
}

}  // namespace
}  // namespace crous::test
