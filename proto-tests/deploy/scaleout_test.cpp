// Scale-out behind HAProxy, for real: three crous-server processes (each in
// its own network namespace when the machine allows it), Debian's HAProxy
// running deploy/haproxy/haproxy.cfg as shipped, clients over TCP. Where each
// connection landed is read from the instances' own logs (the PROXY header
// names the client's port) and `stats`; when an instance dies or stops
// answering, how long HAProxy takes to mark it down is measured; a rolling
// restart under pipelined load loses no request silently and answers none
// twice (the clients here reconnect by hand, never resending).
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
#include <set>
#include <thread>
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

// What one client of a rolling restart saw. Every id it sent ends up
// answered (once, in order: ids only grow, so an answer twice would come
// out of order) or not answered: its connection closed before the answer
// came. A request neither answered nor followed by a close would be a read
// timeout: silently lost.
struct Ledger {
  std::atomic<std::int64_t> answered_count{0};
  std::int64_t sent = 0;
  std::int64_t last_answered = -1;
  std::set<std::int64_t> not_answered;
  int duplicates = 0;
  int out_of_order = 0;
  int timeouts = 0;
  int connections = 0;
};

// Pipelined windows of 16 echo requests through HAProxy, reconnecting
// (never resending) when the connection closes, until `stop` (or 3 minutes).
// `pause` between windows lets a draining server see the client quiet.
void run_client(int k, std::uint16_t port, const std::atomic<bool>& stop, Ledger& ledger,
                std::chrono::milliseconds pause) {
  constexpr int kWindow = 16;
  std::int64_t next = static_cast<std::int64_t>(k) * 1'000'000'000;
  std::unique_ptr<FluxConnection> connection;
  const auto give_up = std::chrono::steady_clock::now() + 3min;
  while (!stop && std::chrono::steady_clock::now() < give_up) {
    if (!connection) {
      try {
        connection = std::make_unique<FluxConnection>("127.0.0.1", port, 2s);
        ++ledger.connections;
      } catch (const std::exception&) {
        std::this_thread::sleep_for(50ms);
        continue;
      }
    }
    std::vector<std::int64_t> window;
    Bytes batch;
    for (int i = 0; i < kWindow; ++i) {
      window.push_back(next++);
      encode_flux(Dict{{"id", window.back()}, {"client", k}, {"pad", std::string(100, 'p')}}, batch);
    }
    ledger.sent += kWindow;
    std::size_t done = 0;
    try {
      connection->send_bytes(batch);
      for (; done < window.size(); ++done) {
        const Value response = connection->read(10s);
        const Value* id = response.is_dict() ? response.find("id") : nullptr;
        if (!id) throw std::runtime_error("closing: not an answer");  // shutting_down: the drain deadline passed
        if (id->as_int() <= ledger.last_answered || ledger.not_answered.count(id->as_int()) != 0) ++ledger.duplicates;
        else if (id->as_int() != window[done]) ++ledger.out_of_order;
        ledger.last_answered = std::max(ledger.last_answered, id->as_int());
        ++ledger.answered_count;
      }
    } catch (const std::exception& e) {
      if (std::string(e.what()).find("timeout") != std::string::npos) ++ledger.timeouts;
      for (std::size_t i = done; i < window.size(); ++i) ledger.not_answered.insert(window[i]);
      connection.reset();
    }
    if (pause.count() > 0) std::this_thread::sleep_for(pause);
  }
}

// Until every client has had `more` answers beyond `from` (bounded).
bool every_client_progresses(const std::vector<std::unique_ptr<Ledger>>& ledgers, const std::vector<std::int64_t>& from,
                             std::int64_t more) {
  const auto deadline = std::chrono::steady_clock::now() + 30s;
  for (std::size_t k = 0; k < ledgers.size(); ++k) {
    while (ledgers[k]->answered_count < from[k] + more) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(10ms);
    }
  }
  return true;
}

std::vector<std::int64_t> answered_so_far(const std::vector<std::unique_ptr<Ledger>>& ledgers) {
  std::vector<std::int64_t> counts;
  for (const auto& l : ledgers) counts.push_back(l->answered_count);
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

  std::int64_t sent = 0, answered = 0, not_answered = 0;
  int reconnected = 0;
  for (int k = 0; k < kClients; ++k) {
    const Ledger& l = *ledgers[static_cast<std::size_t>(k)];
    EXPECT_EQ(l.duplicates, 0) << "client " << k << ": answered twice";
    EXPECT_EQ(l.out_of_order, 0) << "client " << k;
    EXPECT_EQ(l.timeouts, 0) << "client " << k << ": a request neither answered nor its connection closed";
    EXPECT_EQ(l.answered_count + static_cast<std::int64_t>(l.not_answered.size()), l.sent) << "client " << k;
    sent += l.sent;
    answered += l.answered_count;
    not_answered += static_cast<std::int64_t>(l.not_answered.size());
    reconnected += l.connections - 1;
  }
  std::cout << "[ MEASURED ] rolling restart: " << sent << " requests sent, " << answered << " answered, "
            << not_answered << " reported not answered (connection closed first), " << reconnected
            << " reconnections\n";
  EXPECT_GT(reconnected, 0) << "no client was ever moved: the restarts were not exercised";
}

}  // namespace
}  // namespace crous::test
