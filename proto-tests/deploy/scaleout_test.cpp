// Scale-out behind HAProxy, for real: three crous-server processes (each in
// its own network namespace when the machine allows it), Debian's HAProxy
// running deploy/haproxy/haproxy.cfg as shipped, clients over TCP. Where each
// connection landed is read from the instances' own logs (the PROXY header
// names the client's port) and `stats`; when an instance dies or stops
// answering, how long HAProxy takes to mark it down is measured; a rolling
// restart under pipelined load, with the client library's reconnect policy,
// loses no request silently and answers none twice.
//
// Plain build only: under the sanitizers the servers are several times
// slower and the measured bounds would measure the sanitizers; the PROXY
// header code itself runs sanitized in proxy_protocol_test.
#include <gtest/gtest.h>
#include <signal.h>

#include <array>
#include <atomic>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crous/client/client.hpp"
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

// What one client of a rolling restart saw, request by request. Each has
// one outcome: its answer (ids only grow, so an answer twice would come out
// of order), not_answered (the connection ended first; never resent),
// shutting_down in its place (the instance's drain deadline passed), or not
// sent (the reconnect gave up). A timeout would be a request left hanging:
// silently lost.
struct Ledger {
  std::atomic<std::int64_t> answered{0};
  std::int64_t sent = 0;
  std::int64_t last_answered = -1;
  std::int64_t not_answered = 0;
  std::int64_t shutting_down = 0;
  std::int64_t not_sent = 0;
  int duplicates = 0;
  int out_of_order = 0;
  int timeouts = 0;
  std::string unexpected;  // any other failure
  client::ReconnectStats reconnect{};
};

// Pipelined windows of 16 echo requests through HAProxy with the client
// library's reconnect policy on (no call idempotent: nothing is resent),
// until `stop` (or 3 minutes). `pause` between windows lets a draining
// server see the client quiet and close it between windows.
void run_client(int k, std::uint16_t port, const std::atomic<bool>& stop, Ledger& ledger,
                std::chrono::milliseconds pause) {
  constexpr int kWindow = 16;
  client::Options options;
  options.reconnect.enabled = true;
  client::Client c(options);
  try {
    c.connect("127.0.0.1", port, 5s);
  } catch (const std::exception& e) {
    ledger.unexpected = std::string("connect: ") + e.what();
    return;
  }
  std::int64_t next = static_cast<std::int64_t>(k) * 1'000'000'000;
  const auto give_up = std::chrono::steady_clock::now() + 3min;
  while (!stop && std::chrono::steady_clock::now() < give_up) {
    std::vector<std::int64_t> window;
    for (int i = 0; i < kWindow; ++i) {
      window.push_back(next++);
      c.send(Dict{{"id", window.back()}, {"client", k}, {"pad", std::string(100, 'p')}});
    }
    ledger.sent += kWindow;
    for (const std::int64_t id : window) {
      try {
        const Value response = c.receive();
        const std::int64_t got = response["id"].as_int();
        if (got <= ledger.last_answered)
          ++ledger.duplicates;
        else if (got != id)
          ++ledger.out_of_order;
        ledger.last_answered = std::max(ledger.last_answered, got);
        ++ledger.answered;
      } catch (const client::ClientError& e) {
        if (e.code() == client::ClientErrc::not_answered)
          ++ledger.not_answered;
        else if (e.code() == client::ClientErrc::timeout)
          ++ledger.timeouts;
        else if (e.code() == client::ClientErrc::connection_refused)
          ++ledger.not_sent;
        else
          ledger.unexpected = e.what();
      } catch (const client::ServerError& e) {
        if (e.code() == "shutting_down")
          ++ledger.shutting_down;
        else
          ledger.unexpected = e.what();
      }
    }
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
  ledger.reconnect = c.reconnect_stats();
}

// Until every client has had `more` answers beyond `from` (bounded).
bool every_client_progresses(const std::vector<std::unique_ptr<Ledger>>& ledgers, const std::vector<std::int64_t>& from,
                             std::int64_t more) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (std::size_t k = 0; k < ledgers.size(); ++k) {
    while (ledgers[k]->answered < from[k] + more) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
  }
  return true;
}

std::vector<std::int64_t> answered_so_far(const std::vector<std::unique_ptr<Ledger>>& ledgers) {
  std::vector<std::int64_t> counts;
  for (const auto& l : ledgers) counts.push_back(l->answered);
  return counts;
}

TEST_F(ScaleOut, ARollingRestartAnswersEveryRequestOnceOrTellsTheClientAndNeverGoesSilent) {
  constexpr int kClients = 6;
  std::atomic<bool> stop{false};
  std::vector<std::unique_ptr<Ledger>> ledgers;
  std::vector<std::thread> clients;
  for (int k = 0; k < kClients; ++k) ledgers.push_back(std::make_unique<Ledger>());
  for (int k = 0; k < kClients; ++k)
    clients.emplace_back(run_client, k, lab_->port(), std::cref(stop), std::ref(*ledgers[static_cast<std::size_t>(k)]),
                         k == 0 ? 300ms : 0ms);
  const std::vector<std::int64_t> none(kClients, 0);
  EXPECT_TRUE(every_client_progresses(ledgers, none, 50));

  // One instance at a time: SIGTERM (it drains: answers what it received,
  // then exits 0), start it again, wait until HAProxy sees it UP.
  for (int i = 0; i < ScaleOutLab::kInstances; ++i) {
    lab_->signal(i, SIGTERM);
    EXPECT_EQ(lab_->wait_exit(i, 15s), 0) << ScaleOutLab::name(i);
    lab_->start(i);
    const auto up = lab_->haproxy().wait_status(ScaleOutLab::name(i), "UP", 20s);
    EXPECT_TRUE(up) << lab_->haproxy().log();
    if (up) report(ScaleOutLab::name(i) + " UP again after restart", *up);
  }
  // Still served afterwards, every one of them.
  EXPECT_TRUE(every_client_progresses(ledgers, answered_so_far(ledgers), 50));
  stop = true;
  for (auto& c : clients) c.join();

  std::int64_t sent = 0, answered = 0, reported = 0;
  std::uint64_t reconnects = 0;
  for (int k = 0; k < kClients; ++k) {
    const Ledger& l = *ledgers[static_cast<std::size_t>(k)];
    EXPECT_EQ(l.unexpected, "") << "client " << k;
    EXPECT_EQ(l.duplicates, 0) << "client " << k << ": answered twice";
    EXPECT_EQ(l.out_of_order, 0) << "client " << k;
    EXPECT_EQ(l.timeouts, 0) << "client " << k << ": a request neither answered nor reported";
    EXPECT_EQ(l.answered + l.not_answered + l.shutting_down + l.not_sent, l.sent) << "client " << k;
    EXPECT_EQ(static_cast<std::int64_t>(l.reconnect.not_answered), l.not_answered) << "client " << k;
    EXPECT_EQ(l.reconnect.resent, 0u) << "client " << k << ": nothing is idempotent, nothing may be resent";
    sent += l.sent;
    answered += l.answered;
    reported += l.not_answered + l.shutting_down + l.not_sent;
    reconnects += l.reconnect.reconnects;
  }
  std::cout << "[ MEASURED ] rolling restart: " << sent << " requests sent, " << answered << " answered, " << reported
            << " reported to the client as not answered (not_answered, or shutting_down in their place), " << reconnects
            << " reconnects\n";
  EXPECT_GT(reconnects, 0u) << "no client was ever moved: the restarts were not exercised";
}

}  // namespace
}  // namespace crous::test
