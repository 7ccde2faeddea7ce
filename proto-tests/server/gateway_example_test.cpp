// The two-service example as real processes: crous-example-gateway, whose
// async handlers call two crous-example-backend processes through client
// Pools. Fan-out under pipelined load with a fixed number of threads, a
// slow call not holding up later requests, deadlines, cancellation on
// disconnect, a backend killed mid-call, and the drain.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <memory>
#include <string>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

using Clock = std::chrono::steady_clock;

long long ms_since(Clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - t).count();
}

int threads_of(int pid) {
  std::ifstream status("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("Threads:", 0) == 0) return std::stoi(line.substr(8));
  return -1;
}

// prefix + i (appended: GCC 12 warns falsely (-Wrestrict) on "k" + std::to_string(i)).
std::string numbered(std::string prefix, int i) {
  prefix += std::to_string(i);
  return prefix;
}

Value fanout(const std::string& key, int delay_ms) {
  return Dict{{"op", "fanout"}, {"key", key}, {"delay_ms", delay_ms}};
}

// Two backends and a gateway in front of them; gateway flags added to
// `gateway_args`.
struct Services {
  explicit Services(std::vector<std::string> gateway_args = {})
      : first({"--port", "0", "--threads", "1", "--workers", "1"}, "crous-example-backend"),
        second({"--port", "0", "--threads", "1", "--workers", "1"}, "crous-example-backend"),
        gateway(gateway_command(first.port(), second.port(), std::move(gateway_args)), "crous-example-gateway") {}

  static std::vector<std::string> gateway_command(std::uint16_t a, std::uint16_t b, std::vector<std::string> extra) {
    std::vector<std::string> args{"--port",    "0",
                                  "--threads", "2",
                                  "--workers", "1",
                                  "--backend", "127.0.0.1:" + std::to_string(a),
                                  "--backend", "127.0.0.1:" + std::to_string(b)};
    args.insert(args.end(), extra.begin(), extra.end());
    return args;
  }

  // {"started", "completed", "cancelled"} of a backend.
  static Value counters(ServerProcess& backend) {
    Client c(backend.port());
    c.send(Dict{{"op", "backend_stats"}});
    return c.read();
  }
  static bool counter_is(ServerProcess& backend, const char* name, int value) {
    return counters(backend)[name] == Value(value);
  }

  ServerProcess first;
  ServerProcess second;
  ServerProcess gateway;
};

TEST(GatewayExample, FansOutAThousandPipelinedRequestsWithAFixedNumberOfThreads) {
  Services services;
  // main, two I/O threads, one worker (the I/O threads start just after
  // the "listening" line) - and no thread per request, call or wait.
  constexpr int kThreads = 4;
  ASSERT_TRUE(eventually([&] { return threads_of(services.gateway.pid()) == kThreads; }))
      << threads_of(services.gateway.pid());
  Client c(services.gateway.port());
  constexpr int kRequests = 1000;
  Bytes wire;
  for (int i = 0; i < kRequests; ++i) encode_flux(fanout(numbered("k", i), 20), wire);
  c.send_bytes(wire);
  int most_threads = 0;
  for (int i = 0; i < kRequests; ++i) {
    const Value v = c.read(30s);
    ASSERT_EQ(v["key"], Value(numbered("k", i))) << v;
    const Value& answers = v["answers"];
    ASSERT_EQ(answers.as_list().size(), 2u);
    EXPECT_EQ(answers[0]["backend"], Value(static_cast<std::int64_t>(services.first.port())));
    EXPECT_EQ(answers[1]["backend"], Value(static_cast<std::int64_t>(services.second.port())));
    EXPECT_EQ(answers[1]["value"], Value(numbered("value of k", i)));
    if (i % 50 == 0) most_threads = std::max(most_threads, threads_of(services.gateway.pid()));
  }
  EXPECT_EQ(most_threads, kThreads);
  EXPECT_EQ(Services::counters(services.first)["completed"], Value(kRequests));
  EXPECT_EQ(Services::counters(services.second)["completed"], Value(kRequests));
}

TEST(GatewayExample, ASlowBackendCallDoesNotHoldUpTheRequestsBehindIt) {
  Services services;
  Client c(services.gateway.port());
  const auto sent = Clock::now();
  c.send(fanout("slow", 3000));
  Bytes wire;
  for (int i = 0; i < 20; ++i) encode_flux(fanout(numbered("quick", i), 0), wire);
  c.send_bytes(wire);
  // The twenty quick fan-outs are done at both backends while the slow one
  // still waits (their answers queue behind its, in request order).
  EXPECT_TRUE(eventually([&] { return Services::counter_is(services.second, "completed", 20); }, 2500ms));
  EXPECT_LT(ms_since(sent), 3000) << "the quick requests waited for the slow one";
  EXPECT_EQ(c.read(10s)["key"], Value("slow"));
  EXPECT_GE(ms_since(sent), 3000);
  for (int i = 0; i < 20; ++i) EXPECT_EQ(c.read()["key"], Value(numbered("quick", i)));
  EXPECT_LT(ms_since(sent), 3000 + 2000);
}

TEST(GatewayExample, APassedDeadlineIsAnsweredOnTimeAndTheBackendsStop) {
  Services services;
  Client c(services.gateway.port());
  expect_deadline_exceeded_on_time(c, fanout("late", 10'000), 300, 9);
  // The backends inherited the deadline and were told the caller left.
  EXPECT_TRUE(eventually([&] { return Services::counter_is(services.first, "cancelled", 1); }, 5s));
  EXPECT_TRUE(eventually([&] { return Services::counter_is(services.second, "cancelled", 1); }, 5s));
  EXPECT_EQ(Services::counters(services.first)["completed"], Value(0));
}

TEST(GatewayExample, BackendCallsInheritTheTimeLeft) {
  Services services;
  Client c(services.gateway.port());
  Value request = fanout("k", 0);
  request.as_dict().insert_or_assign("deadline_ms", 5000);
  c.send(request);
  const Value v = c.read();
  for (const Value& answer : v["answers"].as_list()) {
    ASSERT_TRUE(answer["deadline_ms"].is_int()) << v;
    EXPECT_GT(answer["deadline_ms"].as_int(), 3000);
    EXPECT_LE(answer["deadline_ms"].as_int(), 5000);
  }
}

TEST(GatewayExample, AClientDisconnectingCancelsTheBackendCalls) {
  Services services;
  {
    Client c(services.gateway.port());
    c.send(fanout("abandoned", 10'000));
    ASSERT_TRUE(eventually([&] {
      return Services::counter_is(services.first, "started", 1) && Services::counter_is(services.second, "started", 1);
    }));
  }  // the client closes its connection
  const auto closed = Clock::now();
  EXPECT_TRUE(eventually([&] { return Services::counter_is(services.first, "cancelled", 1); }, 5s));
  EXPECT_TRUE(eventually([&] { return Services::counter_is(services.second, "cancelled", 1); }, 5s));
  EXPECT_LT(ms_since(closed), 5000);
  EXPECT_EQ(Services::counters(services.first)["completed"], Value(0));
  EXPECT_EQ(Services::counters(services.second)["completed"], Value(0));
}

TEST(GatewayExample, ABackendKilledMidCallIsAnErrorAndTheGatewayStaysHealthy) {
  Services services;
  Client c(services.gateway.port());
  c.send(fanout("doomed", 2000));
  ASSERT_TRUE(eventually([&] { return Services::counter_is(services.second, "started", 1); }));
  services.second.signal(SIGKILL);
  Value v = c.read(10s);
  EXPECT_EQ(error_code_of(v), "handler_error") << v;
  EXPECT_NE(v["error"]["message"].as_string().find("connection_closed"), std::string::npos) << v;
  // Same connection: the other backend is still reached, the dead one is
  // refused, and the gateway answers its own ops.
  c.send(Dict{{"op", "relay"}, {"x", 1}});
  EXPECT_EQ(c.read(), Value(Dict{{"x", 1}}));
  c.send(fanout("again", 0));
  v = c.read();
  EXPECT_EQ(error_code_of(v), "handler_error") << v;
  EXPECT_NE(v["error"]["message"].as_string().find("connection_refused"), std::string::npos) << v;
  c.send(Dict{{"op", "ping"}});
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
}

TEST(GatewayExample, SigtermDrainWaitsForAsyncHandlers) {
  Services services({"--drain-timeout", "5s"});
  Client c(services.gateway.port());
  c.send(fanout("finishing", 800));
  ASSERT_TRUE(eventually([&] { return Services::counter_is(services.first, "started", 1); }));
  services.gateway.signal(SIGTERM);
  const Value v = c.read(10s);
  EXPECT_EQ(v["key"], Value("finishing")) << v;
  EXPECT_TRUE(c.closed_without_more_data());
  EXPECT_EQ(services.gateway.wait_exit(10s), 0) << services.gateway.log();
}

TEST(GatewayExample, SigtermDrainCancelsAsyncHandlersAtTheDrainDeadline) {
  Services services({"--drain-timeout", "500ms"});
  Client c(services.gateway.port());
  c.send(fanout("too_slow", 10'000));
  ASSERT_TRUE(eventually([&] { return Services::counter_is(services.first, "started", 1); }));
  const auto signalled = Clock::now();
  services.gateway.signal(SIGTERM);
  EXPECT_EQ(services.gateway.wait_exit(10s), 0) << services.gateway.log();
  // The drain deadline, not the handler's ten seconds (the I/O threads get
  // at most a second's grace after it).
  EXPECT_LT(ms_since(signalled), 500 + 2500);
  Value v;
  const Client::Next next = c.next(v, 2s);
  if (next == Client::Next::record) {
    EXPECT_EQ(error_code_of(v), "shutting_down") << v;
  }
  // The backends' calls were cancelled when the gateway gave up.
  EXPECT_TRUE(eventually([&] { return Services::counter_is(services.first, "cancelled", 1); }, 5s));
  EXPECT_TRUE(eventually([&] { return Services::counter_is(services.second, "cancelled", 1); }, 5s));
}

}  // namespace
}  // namespace crous::test
