// The reconnect policy (Options::reconnect) of both clients on real loopback
// sockets: a server restarted between calls (in-process, and the
// crous-server binary killed); a peer that closes with requests in flight
// (those answered succeed, the others fail with not_answered, an idempotent
// one is resent and answered once); requests not written yet going out on
// the new connection; a reconnect that gives up; the policy off; TLS and
// compression redone on the new connection. The drain of a real
// crous-server is in reconnect_drain_test.cpp.
#include <signal.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <chrono>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "child_process.hpp"
#include "crous/client/async_client.hpp"
#include "crous/client/client.hpp"
#include "crous/flux.hpp"
#include "reconnect_helpers.hpp"
#include "raw_peer.hpp"
#include "test_server.hpp"
#include "tls_fixtures.hpp"

namespace crous::client {
namespace {

using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::AsyncRig;
using test::contains;
using test::Outcome;
using test::RawPeer;
using test::RestartableServer;

// A few attempts with short pauses.
constexpr ReconnectPolicy quick{.enabled = true, .max_attempts = 4, .initial_backoff = 20ms, .max_backoff = 100ms};

Options reconnecting(Options options = {}) {
  options.connect_timeout = 5s;
  options.timeout = 10s;
  options.reconnect = quick;
  return options;
}

const Value ping = Dict{{"op", "ping"}};
const Value pong = Dict{{"pong", true}};

Value numbered(int id) { return Dict{{"id", id}}; }

void expect_not_answered(const Outcome& outcome, const std::string& what) {
  ASSERT_TRUE(outcome.error) << what << ": answered";
  EXPECT_EQ(outcome.error->code(), ClientErrc::not_answered) << what << ": " << outcome.error->what();
  EXPECT_TRUE(contains(outcome.error->what(), "may or may not have been processed")) << outcome.error->what();
}

void expect_answered(const Outcome& outcome, const Value& request, const std::string& what) {
  ASSERT_FALSE(outcome.error) << what << ": " << outcome.error->what();
  EXPECT_EQ(outcome.response, request) << what;
}

// Clients connected to `port` and past a first call.
Client connected(unsigned short port, const Options& options = reconnecting()) {
  Client client(options);
  client.connect("127.0.0.1", port);
  EXPECT_EQ(client.call(ping), pong);
  return client;
}
void connect(AsyncRig& rig, unsigned short port) {
  rig.connect(port);
  EXPECT_EQ(rig.outcome(rig.call(ping)).response, pong);
}

// ---- a server restarted between calls ----

TEST(Reconnect, SyncCallsAfterTheServerRestartedGoOutOnANewConnection) {
  RestartableServer server;
  Client client = connected(server.port());

  server.restart();
  // Not idempotent, and still answered: the close was noticed before the
  // request was written, so it was not sent on the old connection.
  EXPECT_EQ(client.call(numbered(1)), numbered(1));

  server.restart();
  for (int i = 0; i < 50; ++i) client.send(numbered(i));
  client.flush();
  for (int i = 0; i < 50; ++i) EXPECT_EQ(client.receive(), numbered(i));

  const ReconnectStats stats = client.reconnect_stats();
  EXPECT_EQ(stats.lost, 2u);
  EXPECT_EQ(stats.reconnects, 2u);
  EXPECT_EQ(stats.not_answered, 0u);
  EXPECT_EQ(stats.resent, 0u);
}

TEST(Reconnect, AsyncCallsAfterTheServerRestartedGoOutOnANewConnection) {
  RestartableServer server;
  AsyncRig rig(reconnecting());
  connect(rig, server.port());

  server.stop();
  rig.wait_until_lost(1);  // the client read the server's close
  server.start();
  // Made while no connection is open: not sent anywhere yet, so they all
  // go out on the new connection.
  std::vector<std::future<Value>> calls;
  for (int i = 0; i < 50; ++i) calls.push_back(rig.call(numbered(i)));
  for (int i = 0; i < 50; ++i) expect_answered(rig.outcome(calls[i]), numbered(i), "call " + std::to_string(i));

  const ReconnectStats stats = rig.client.reconnect_stats();
  EXPECT_EQ(stats.reconnects, 1u);
  EXPECT_EQ(stats.not_answered, 0u);
}

TEST(Reconnect, TheServerBinaryKilledAndStartedAgainOnItsPort) {
  auto server = std::make_unique<test::ServerProcess>();
  const unsigned short port = server->port();
  Client sync_client = connected(port);
  AsyncRig rig(reconnecting());
  connect(rig, port);

  server->signal(SIGKILL);  // no drain: the kernel closes its sockets
  server->wait();
  rig.wait_until_lost(1);
  server = std::make_unique<test::ServerProcess>(std::vector<std::string>{}, port);

  EXPECT_EQ(sync_client.call(numbered(7)), numbered(7));
  expect_answered(rig.outcome(rig.call(numbered(8))), numbered(8), "async call");
  EXPECT_EQ(sync_client.reconnect_stats().reconnects, 1u);
  EXPECT_EQ(rig.client.reconnect_stats().reconnects, 1u);
}

// ---- a peer that closes with requests in flight ----

// Five requests pipelined; the peer reads all five, answers the first two
// and closes. The fourth is idempotent: it alone is written again, on the
// second connection, which answers it. From the caller's view every
// request has exactly one outcome.
class ClosesWithRequestsInFlight {
 public:
  static constexpr int count = 5;
  static constexpr int idempotent = 3;

  static CallOptions options_for(int id) { return {.idempotent = id == idempotent}; }

  unsigned short port() const { return peer_.port(); }

  void check(const std::vector<Outcome>& outcomes, const ReconnectStats& stats) {
    ASSERT_EQ(outcomes.size(), std::size_t{count});
    expect_answered(outcomes[0], numbered(0), "request 0");
    expect_answered(outcomes[1], numbered(1), "request 1");
    expect_not_answered(outcomes[2], "request 2");
    expect_answered(outcomes[3], numbered(3), "request 3 (idempotent, resent)");
    expect_not_answered(outcomes[4], "request 4");
    ASSERT_EQ(second_saw_.wait_for(30s), std::future_status::ready);
    EXPECT_EQ(second_saw_.get(), std::vector<Value>{numbered(3)}) << "only the idempotent request goes again";
    EXPECT_EQ(stats.lost, 1u);
    EXPECT_EQ(stats.reconnects, 1u);
    EXPECT_EQ(stats.resent, 1u);
    EXPECT_EQ(stats.not_answered, 2u);
  }

 private:
  std::promise<std::vector<Value>> second_promise_;
  std::future<std::vector<Value>> second_saw_ = second_promise_.get_future();
  RawPeer peer_{std::vector<RawPeer::Script>{
      [](int fd) {
        const auto requests = RawPeer::read_requests(fd, count);
        for (int i = 0; i < 2; ++i) RawPeer::write_bytes(fd, encode_flux(requests[i]));
      },
      [this](int fd) {
        const auto requests = RawPeer::read_requests(fd, 1);
        RawPeer::write_bytes(fd, encode_flux(requests[0]));
        second_promise_.set_value(requests);
        RawPeer::wait_for_close(fd);
      }}};
};

TEST(Reconnect, SyncRequestsInFlightWhenThePeerClosesAreNotAnsweredUnlessIdempotent) {
  ClosesWithRequestsInFlight scenario;
  Client client(reconnecting());
  client.connect("127.0.0.1", scenario.port());
  for (int i = 0; i < ClosesWithRequestsInFlight::count; ++i) {
    client.send(numbered(i), ClosesWithRequestsInFlight::options_for(i));
  }
  client.flush();
  std::vector<Outcome> outcomes;
  for (int i = 0; i < ClosesWithRequestsInFlight::count; ++i) outcomes.push_back(test::attempt([&] { return client.receive(); }));
  EXPECT_EQ(client.outstanding(), 0u);
  scenario.check(outcomes, client.reconnect_stats());
}

TEST(Reconnect, AsyncCallsInFlightWhenThePeerClosesAreNotAnsweredUnlessIdempotent) {
  ClosesWithRequestsInFlight scenario;
  AsyncRig rig(reconnecting());
  rig.connect(scenario.port());
  std::vector<std::future<Value>> calls;
  for (int i = 0; i < ClosesWithRequestsInFlight::count; ++i) {
    calls.push_back(rig.call(numbered(i), ClosesWithRequestsInFlight::options_for(i)));
  }
  std::vector<Outcome> outcomes;
  for (auto& call : calls) outcomes.push_back(rig.outcome(call));
  scenario.check(outcomes, rig.client.reconnect_stats());
}

// ---- requests not written when the connection ended ----

// The first connection answers one request, then the peer closes its
// sending side and says so; the second answers whatever comes.
class ClosesBetweenRequests {
 public:
  unsigned short port() const { return peer_.port(); }
  // Returns once the peer's FIN is sent (and, `until_client_closed`, once
  // the client closed its end too).
  void wait_for_the_close() { ASSERT_EQ(closed_.wait_for(30s), std::future_status::ready); }
  std::vector<Value> second_answered() {
    EXPECT_EQ(second_.wait_for(30s), std::future_status::ready);
    return second_.get();
  }

  explicit ClosesBetweenRequests(bool until_client_closed)
      : peer_{std::vector<RawPeer::Script>{
            [this, until_client_closed](int fd) {
              RawPeer::write_bytes(fd, encode_flux(RawPeer::read_requests(fd, 1)[0]));
              ::shutdown(fd, SHUT_WR);
              if (until_client_closed) RawPeer::wait_for_close(fd);
              closed_promise_.set_value();
              if (!until_client_closed) RawPeer::wait_for_close(fd);
            },
            [this](int fd) { second_promise_.set_value(RawPeer::echo_until_close(fd)); }}} {}

 private:
  std::promise<void> closed_promise_;
  std::future<void> closed_ = closed_promise_.get_future();
  std::promise<std::vector<Value>> second_promise_;
  std::future<std::vector<Value>> second_ = second_promise_.get_future();
  RawPeer peer_;
};

TEST(Reconnect, SyncRequestsNotWrittenBeforeTheCloseGoOutOnTheNewConnection) {
  ClosesBetweenRequests scenario(false);
  Client client(reconnecting());
  client.connect("127.0.0.1", scenario.port());
  EXPECT_EQ(client.call(numbered(0)), numbered(0));
  scenario.wait_for_the_close();
  // The FIN is in the client's socket: flush() reads it before writing, so
  // these were never sent on the old connection and are not idempotent.
  client.send(numbered(1));
  client.send(numbered(2));
  client.flush();
  EXPECT_EQ(client.receive(), numbered(1));
  EXPECT_EQ(client.receive(), numbered(2));
  client.close();
  EXPECT_EQ(scenario.second_answered(), (std::vector<Value>{numbered(1), numbered(2)}));
  EXPECT_EQ(client.reconnect_stats().not_answered, 0u);
  EXPECT_EQ(client.reconnect_stats().reconnects, 1u);
}

TEST(Reconnect, AsyncCallsMadeAfterTheCloseGoOutOnTheNewConnection) {
  ClosesBetweenRequests scenario(true);
  AsyncRig rig(reconnecting());
  rig.connect(scenario.port());
  expect_answered(rig.outcome(rig.call(numbered(0))), numbered(0), "first call");
  scenario.wait_for_the_close();  // the client read the FIN and closed its end
  auto first = rig.call(numbered(1));
  auto second = rig.call(numbered(2));
  expect_answered(rig.outcome(first), numbered(1), "call 1");
  expect_answered(rig.outcome(second), numbered(2), "call 2");
  rig.client.close();
  EXPECT_EQ(scenario.second_answered(), (std::vector<Value>{numbered(1), numbered(2)}));
  EXPECT_EQ(rig.client.reconnect_stats().not_answered, 0u);
}

// ---- giving up ----

void expect_gave_up(const Outcome& outcome, Clock::duration took) {
  ASSERT_TRUE(outcome.error) << "answered with nobody listening";
  EXPECT_EQ(outcome.error->code(), ClientErrc::connection_refused) << outcome.error->what();
  EXPECT_TRUE(contains(outcome.error->what(), "gave up reconnecting to 127.0.0.1:")) << outcome.error->what();
  EXPECT_TRUE(contains(outcome.error->what(), "after 4 attempt(s)")) << outcome.error->what();
  // Four refused connects (instant) and three pauses, jittered to between
  // half and all of 20, 40 and 80 ms: at least 70 ms (pauses never end
  // early), and a generous upper bound, never a tight one.
  EXPECT_GE(took, 70ms);
  EXPECT_LT(took, 10s);
}

TEST(Reconnect, SyncGivesUpAfterItsAttemptsWithTheLastError) {
  RestartableServer server;
  Client client = connected(server.port());
  server.stop();
  for (int round = 0; round < 2; ++round) {  // each call makes a reconnect of its own
    const auto start = Clock::now();
    const Outcome outcome = test::attempt([&] { return client.call(ping); });
    expect_gave_up(outcome, Clock::now() - start);
  }
  server.start();
  EXPECT_EQ(client.call(ping), pong) << "the client keeps trying when asked";
  EXPECT_EQ(client.reconnect_stats().reconnects, 1u);
  EXPECT_EQ(client.reconnect_stats().not_answered, 0u);
}

TEST(Reconnect, AsyncGivesUpAfterItsAttemptsWithTheLastError) {
  RestartableServer server;
  AsyncRig rig(reconnecting());
  connect(rig, server.port());
  server.stop();
  rig.wait_until_lost(1);
  for (int round = 0; round < 2; ++round) {
    const auto start = Clock::now();
    auto call = rig.call(ping);
    const Outcome outcome = rig.outcome(call);
    expect_gave_up(outcome, Clock::now() - start);
  }
  server.start();
  EXPECT_EQ(rig.outcome(rig.call(ping)).response, pong);
  EXPECT_EQ(rig.client.reconnect_stats().reconnects, 1u);
}

// An idempotent request written on a connection that closed, with nobody
// to resend it to: the server may have it, so it is not_answered, not a
// connect error.
class ClosesAndLeaves {
 public:
  unsigned short port() const { return peer_.port(); }

 private:
  RawPeer peer_{[](int fd) { RawPeer::read_requests(fd, 1); }};  // the last connection: no one listens after it
};

void expect_resend_failed(const Outcome& outcome) {
  expect_not_answered(outcome, "idempotent request");
  if (outcome.error) {
    EXPECT_TRUE(contains(outcome.error->what(), "resending it failed")) << outcome.error->what();
  }
}

TEST(Reconnect, AnIdempotentRequestThatCannotBeResentIsNotAnswered) {
  {
    ClosesAndLeaves peer;
    Client client(reconnecting());
    client.connect("127.0.0.1", peer.port());
    expect_resend_failed(test::attempt([&] { return client.call(ping, {.idempotent = true}); }));
  }
  {
    ClosesAndLeaves peer;
    AsyncRig rig(reconnecting());
    rig.connect(peer.port());
    auto call = rig.call(ping, {.idempotent = true});
    expect_resend_failed(rig.outcome(call));
  }
}

// ---- the policy off ----

TEST(Reconnect, OffTheConnectionStaysLostAsBefore) {
  RestartableServer server;
  Client client = connected(server.port(), Options{});  // Options::reconnect is off by default
  AsyncRig rig(Options{});
  connect(rig, server.port());
  server.restart();

  const Outcome sync_first = test::attempt([&] { return client.call(ping); });
  ASSERT_TRUE(sync_first.error);
  EXPECT_EQ(sync_first.error->code(), ClientErrc::connection_closed) << sync_first.error->what();
  const Outcome sync_later = test::attempt([&] { return client.call(ping); });
  ASSERT_TRUE(sync_later.error);
  EXPECT_EQ(sync_later.error->code(), ClientErrc::not_connected) << sync_later.error->what();

  // The async client read the close already, or reads it after writing the
  // call: connection_closed either way for the call in flight, then
  // not_connected.
  auto first = rig.call(ping);
  const Outcome async_first = rig.outcome(first);
  ASSERT_TRUE(async_first.error);
  EXPECT_TRUE(async_first.error->code() == ClientErrc::not_connected ||
              async_first.error->code() == ClientErrc::connection_closed)
      << async_first.error->what();
  auto later = rig.call(ping);
  const Outcome async_later = rig.outcome(later);
  ASSERT_TRUE(async_later.error);
  EXPECT_EQ(async_later.error->code(), ClientErrc::not_connected) << async_later.error->what();

  for (const ReconnectStats stats : {client.reconnect_stats(), rig.client.reconnect_stats()}) {
    EXPECT_EQ(stats.lost + stats.reconnects + stats.resent + stats.not_answered, 0u);
  }
}

// ---- TLS and compression ----

TEST(Reconnect, TlsAndTheCompressionHelloAreRedoneOnTheNewConnection) {
  test::TlsPki pki;
  RestartableServer server([&](server::Options& o) {
    o.tls_port = 0;
    o.tls_cert_file = pki.server.cert.string();
    o.tls_key_file = pki.server.key.string();
  });
  const Options options = reconnecting(Options{.tls = test::trusting(pki), .compression = Compression::lz4});
  Client client = connected(server.tls_port(), options);
  AsyncRig rig(options);
  connect(rig, server.tls_port());

  server.stop();
  rig.wait_until_lost(1);
  server.start();
  const Value request = Dict{{"text", std::string(5000, 'x')}};  // compresses well: LZ4 at work
  EXPECT_EQ(client.call(request), request);
  expect_answered(rig.outcome(rig.call(request, {.idempotent = true})), request, "async call over TLS");
  EXPECT_EQ(client.compression(), Compression::lz4);
  EXPECT_EQ(rig.client.compression(), Compression::lz4);
  EXPECT_EQ(client.reconnect_stats().reconnects, 1u);
  EXPECT_EQ(rig.client.reconnect_stats().reconnects, 1u);
}

}  // namespace
}  // namespace crous::client
