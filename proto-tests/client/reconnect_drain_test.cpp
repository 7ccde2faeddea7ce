// The reconnect policy against the crous-server binary draining on SIGTERM
// (docs/protocol.md, "Graceful shutdown"): the server answers every request
// it received before it closes, so requests written before the drain are
// all answered, and under traffic that never pauses every call still has
// exactly one outcome through the drain and a restart - an answer, or a
// not_answered the caller is told of; never lost silently, never twice.
#include <signal.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <atomic>
#include <chrono>
#include <future>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "crous/client/async_client.hpp"
#include "crous/client/client.hpp"
#include "reconnect_helpers.hpp"

namespace crous::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;

// Patient: covers a server that takes a while to be back on a loaded
// machine (up to about 25 s of 250 ms pauses; refused connects are instant).
constexpr ReconnectPolicy patient{.enabled = true, .max_attempts = 100, .initial_backoff = 20ms, .max_backoff = 250ms};

const Options options{.connect_timeout = 5s, .timeout = 20s, .reconnect = patient};

// Polls `done` every few ms for at most `limit`; false on expiry. The test
// thread has nothing to wait on but the client's progress.
template <class Done>
bool wait_until(Done done, std::chrono::seconds limit = 60s) {
  const auto deadline = Clock::now() + limit;
  while (!done()) {
    if (Clock::now() > deadline) return false;
    std::this_thread::sleep_for(2ms);
  }
  return true;
}

TEST(ReconnectDrain, EveryRequestWrittenBeforeTheDrainIsAnsweredThenTheClientMovesOn) {
  auto server = std::make_unique<test::ServerProcess>();
  const unsigned short port = server->port();
  Client client(options);
  client.connect("127.0.0.1", port);
  constexpr int count = 2000;
  for (int i = 0; i < count; ++i) client.send(Dict{{"id", i}});
  client.flush();  // returns once every byte is with the kernel: written before the drain
  server->signal(SIGTERM);
  for (int i = 0; i < count; ++i) {
    const test::Outcome outcome = test::attempt([&] { return client.receive(); });
    ASSERT_FALSE(outcome.error) << "request " << i << ": " << outcome.error->what();
    ASSERT_EQ(outcome.response, Value(Dict{{"id", i}}));
  }
  EXPECT_EQ(server->wait(), 0) << "the drain ends once the client is quiet";

  server = std::make_unique<test::ServerProcess>(std::vector<std::string>{}, port);
  const Value ping = Dict{{"op", "ping"}};
  EXPECT_EQ(client.call(ping), Value(Dict{{"pong", true}}));
  const ReconnectStats stats = client.reconnect_stats();
  EXPECT_EQ(stats.not_answered, 0u);
  EXPECT_EQ(stats.reconnects, 1u);
}

// Workers keep `in_flight` calls going until told to stop; every third call
// is idempotent. Each call's outcome is recorded once per id.
class Traffic {
 public:
  enum Result : int { pending = 0, ok, unanswered, wrong };
  static constexpr int workers = 8;
  static constexpr int max_calls = 200'000;  // a bound, far above what the test needs

  explicit Traffic(AsyncClient& client) : client_(client), results_(max_calls) {}

  void start(const asio::any_io_executor& executor) {
    for (int w = 0; w < workers; ++w) {
      asio::co_spawn(executor, worker(), [this](std::exception_ptr error) {
        if (error) failures_.fetch_add(1);
        if (running_.fetch_sub(1) == 1) client_.close();  // the last worker out closes
      });
    }
  }
  void stop() { stop_ = true; }
  int answered() const { return answered_.load(); }
  bool finished() const { return running_.load() == 0; }
  int issued() const { return next_.load(); }
  int failures() const { return failures_.load(); }
  Result result(int id) const { return static_cast<Result>(results_[static_cast<std::size_t>(id)].load()); }
  static bool idempotent(int id) { return id % 3 == 0; }

 private:
  asio::awaitable<void> worker() {
    for (;;) {
      const int id = next_.fetch_add(1);
      if (stop_ || id >= max_calls) co_return;
      const Value request = Dict{{"id", id}, {"pad", std::string(static_cast<std::size_t>(id % 64), 'p')}};
      const CallOptions call_options{.idempotent = idempotent(id)};
      Result result = ok;
      try {
        const Value response = co_await client_.async_call(request, call_options, asio::use_awaitable);
        if (response != request) result = wrong;
      } catch (const ClientError& e) {
        result = e.code() == ClientErrc::not_answered ? unanswered : wrong;
      } catch (const ServerError&) {
        result = wrong;
      }
      // exchange: a second outcome for one call would show as a result
      // that was not pending.
      if (results_[static_cast<std::size_t>(id)].exchange(result) != pending) failures_.fetch_add(1);
      if (result == ok) answered_.fetch_add(1);
    }
  }

  AsyncClient& client_;
  std::vector<std::atomic<int>> results_;
  std::atomic<int> next_{0};
  std::atomic<int> answered_{0};
  std::atomic<int> running_{workers};
  std::atomic<int> failures_{0};
  std::atomic<bool> stop_{false};
};

TEST(ReconnectDrain, TrafficThatNeverPausesThroughADrainAndARestart) {
  // The client never pauses, so this drain ends at its deadline: the
  // server closes with requests unanswered (writing a shutting_down record
  // when it can), which the client must report or, for idempotent calls,
  // resend - the harder case than a drain that ends in a quiet moment.
  auto server = std::make_unique<test::ServerProcess>(std::vector<std::string>{"--drain-timeout", "500ms"});
  const unsigned short port = server->port();
  test::AsyncRig rig(options);
  rig.connect(port);
  Traffic traffic(rig.client);
  traffic.start(rig.client.get_executor());

  ASSERT_TRUE(wait_until([&] { return traffic.answered() >= 500; }));
  server->signal(SIGTERM);
  EXPECT_EQ(server->wait(), 0);
  server = std::make_unique<test::ServerProcess>(std::vector<std::string>{}, port);
  // On until the new server has answered plenty: the reconnect happened.
  ASSERT_TRUE(wait_until([&] { return rig.client.reconnect_stats().reconnects >= 1; }));
  const int before = traffic.answered();
  ASSERT_TRUE(wait_until([&] { return traffic.answered() >= before + 500; }));
  traffic.stop();
  ASSERT_TRUE(wait_until([&] { return traffic.finished(); }));

  EXPECT_EQ(traffic.failures(), 0) << "no other error, no call completed twice, no response that is not the request";
  int answered = 0;
  int not_answered = 0;
  for (int id = 0; id < traffic.issued() && id < Traffic::max_calls; ++id) {
    const auto result = traffic.result(id);
    if (id < traffic.issued() - Traffic::workers) {
      ASSERT_NE(result, Traffic::pending) << "call " << id << " has no outcome";
    }
    if (result == Traffic::ok) ++answered;
    if (result == Traffic::unanswered) {
      ++not_answered;
      EXPECT_FALSE(Traffic::idempotent(id)) << "idempotent call " << id << " was not resent";
    }
  }
  EXPECT_EQ(answered, traffic.answered());
  const ReconnectStats stats = rig.client.reconnect_stats();
  EXPECT_EQ(static_cast<std::uint64_t>(not_answered), stats.not_answered);
  EXPECT_GE(stats.lost, 1u);
  std::cout << "drain under traffic: " << answered << " answered, " << not_answered << " not answered, " << stats.resent
            << " resent, " << stats.reconnects << " reconnect(s)\n";
}

}  // namespace
}  // namespace crous::client
