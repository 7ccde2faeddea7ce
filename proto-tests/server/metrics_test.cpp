// The operators' HTTP listener (metrics_port): GET /metrics after a known
// traffic pattern (exact counters, histogram counts, promtool's checker),
// /healthz and /readyz (max_connections, drain after SIGTERM), bounded
// label values, a service's own metrics, and bad HTTP clients that must not
// touch the record port. Everything over real sockets on 127.0.0.1.
#include <gtest/gtest.h>
#include <prometheus/counter.h>
#include <prometheus/registry.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>
#include <nlohmann/json.hpp>

#include <atomic>
#include <ctime>
#include <fstream>
#include <functional>
#include <random>
#include <regex>
#include <set>
#include <thread>

#include "http_test_client.hpp"
#include "server_test_util.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

server::Options metrics_options() {
  server::Options o = test_options();
  o.metrics_port = 0;
  return o;
}

Samples scrape(std::uint16_t metrics_port) {
  HttpResponse r = http_get(metrics_port, "/metrics");
  EXPECT_EQ(r.status, 200) << r.head;
  return parse_exposition(r.body);
}

std::string count_of(const std::string& op) { return "crous_request_duration_seconds_count{op=\"" + op + "\"}"; }
std::string bucket_of(const std::string& op, const std::string& le) {
  return "crous_request_duration_seconds_bucket{op=\"" + op + "\",le=\"" + le + "\"}";
}
std::string errors_of(const std::string& code) { return "crous_errors_total{code=\"" + code + "\"}"; }

// Every series of one family (by name prefix up to '{').
std::set<std::string> series_of(const Samples& s, const std::string& name) {
  std::set<std::string> out;
  for (const auto& [series, value] : s)
    if (series.rfind(name + "{", 0) == 0) out.insert(series);
  return out;
}

void expect_promtool_accepts(const std::string& text) {
  PromtoolResult check = promtool_check_metrics(text);
  EXPECT_EQ(check.status, 0) << "promtool check metrics: " << check.output;
}

TEST(Metrics, KnownTrafficGivesExactCountersAndTheHistogramCountsEveryRequest) {
  constexpr int kEchoes = 40;
  constexpr int kUnknown = 7;
  TestServer server(metrics_options(), [](server::Router& r) {
    r.add_offloaded("slow", [](const Value&) {
      std::this_thread::sleep_for(150ms);
      return Value(Dict{{"slow", true}});
    });
  });
  const std::uint16_t mport = server.server().metrics_port();
  ASSERT_NE(mport, 0);
  ASSERT_NE(mport, server.port());

  std::uint64_t sent_bytes = 0;
  {
    Client c(server.port());
    Bytes wire;
    for (int i = 0; i < kEchoes; ++i) encode_flux(Dict{{"op", "echo"}, {"i", i}}, wire);
    for (int i = 0; i < kUnknown; ++i) encode_flux(Dict{{"op", "no-such-op-" + std::to_string(i)}}, wire);
    encode_flux(Dict{{"op", "slow"}, {"id", 1}}, wire);
    sent_bytes += wire.size();
    c.send_bytes(wire);
    for (int i = 0; i < kEchoes; ++i) ASSERT_EQ(c.read()["i"], Value(i));
    for (int i = 0; i < kUnknown; ++i) ASSERT_EQ(error_code_of(c.read()), "unknown_op");
    ASSERT_EQ(c.read(), Value(Dict{{"slow", true}}));
  }
  {
    Client bad(server.port());
    const std::string garbage = "this is not FLUX at all";
    sent_bytes += garbage.size();
    bad.send_bytes(reinterpret_cast<const std::uint8_t*>(garbage.data()), garbage.size());
    EXPECT_EQ(error_code_of(bad.read()), "decode_error");
    EXPECT_TRUE(bad.closed_without_more_data());
  }
  ASSERT_TRUE(eventually([&] { return server.server().stats().connections_open == 0; }));

  HttpResponse r = http_get(mport, "/metrics");
  ASSERT_EQ(r.status, 200) << r.head;
  EXPECT_EQ(r.header("Content-Type"), "text/plain; version=0.0.4; charset=utf-8");
  const Samples s = parse_exposition(r.body);

  // Records and connections.
  EXPECT_EQ(sample(s, "crous_received_records_total"), kEchoes + kUnknown + 1);  // the garbage never framed
  EXPECT_EQ(sample(s, "crous_sent_records_total"), kEchoes + kUnknown + 1 + 1);  // + the decode_error record
  EXPECT_EQ(sample(s, "crous_received_bytes_total"), static_cast<double>(sent_bytes));
  EXPECT_EQ(sample(s, "crous_sent_bytes_total"), static_cast<double>(server.server().stats().bytes_out));
  EXPECT_EQ(sample(s, "crous_connections_accepted_total"), 2);
  EXPECT_EQ(sample(s, "crous_connections_rejected_total"), 0);
  EXPECT_EQ(sample(s, "crous_connections_open"), 0);
  EXPECT_EQ(sample(s, "crous_connections_max"), 10000);

  // Errors: one family, a code label, every code present.
  EXPECT_EQ(sample(s, errors_of("unknown_op")), kUnknown);
  EXPECT_EQ(sample(s, errors_of("decode_error")), 1);
  for (const char* zero :
       {"record_too_large", "record_timeout", "handler_error", "handler_timeout", "deadline_exceeded", "server_busy",
        "slow_consumer", "idle_timeout", "tls_handshake_failed", "proxy_header_invalid"})
    EXPECT_EQ(sample(s, errors_of(zero)), 0) << zero;
  EXPECT_EQ(series_of(s, "crous_errors_total").size(), 12u);

  // The latency histogram: one series set per registered op plus one for
  // every op not registered; its counts are the requests answered.
  const std::vector<std::string> ops = server.server().router().ops();
  EXPECT_EQ(series_of(s, "crous_request_duration_seconds_count").size(), ops.size() + 1);
  EXPECT_EQ(sample(s, count_of("echo")), kEchoes);
  EXPECT_EQ(sample(s, count_of("(unregistered)")), kUnknown);
  EXPECT_EQ(sample(s, count_of("slow")), 1);
  double total = 0;
  for (const auto& op : ops) total += sample(s, count_of(op));
  total += sample(s, count_of("(unregistered)"));
  EXPECT_EQ(total, kEchoes + kUnknown + 1);
  for (const auto& op : ops) {
    EXPECT_EQ(sample(s, bucket_of(op, "+Inf")), sample(s, count_of(op))) << op;
    double previous = 0;
    for (const char* le : {"1e-06", "1e-05", "0.0001", "0.001", "0.01", "0.1", "1", "10", "+Inf"}) {
      const double v = sample(s, bucket_of(op, le));
      EXPECT_GE(v, previous) << op << " le=" << le;
      previous = v;
    }
  }
  // The slow handler slept 150 ms: from framing to its response is at least that.
  EXPECT_EQ(sample(s, bucket_of("slow", "0.1")), 0);
  EXPECT_EQ(sample(s, bucket_of("slow", "10")), 1);
  EXPECT_GE(sample(s, "crous_request_duration_seconds_sum{op=\"slow\"}"), 0.15);
  EXPECT_LT(sample(s, "crous_request_duration_seconds_sum{op=\"slow\"}"), 10);
  // Echoes are answered on the I/O thread within a batch: microseconds, not seconds.
  EXPECT_LT(sample(s, "crous_request_duration_seconds_sum{op=\"echo\"}"), 1.0);
  // Clients' op names never become label values.
  EXPECT_EQ(r.body.find("no-such-op"), std::string::npos);

  // Gauges, build info, process metrics.
  EXPECT_EQ(sample(s, "crous_ready"), 1);
  EXPECT_EQ(sample(s, "crous_offloads_queued"), 0);
  EXPECT_EQ(sample(s, "crous_offloads_running"), 0);
  EXPECT_EQ(sample(s, "crous_async_running"), 0);
  EXPECT_EQ(sample(s, "crous_output_pending_bytes"), 0);
  EXPECT_EQ(sample(s, "crous_input_budget_bytes"), static_cast<double>(server.server().stats().input_budget_bytes));
  EXPECT_EQ(series_of(s, "crous_build_info").size(), 1u);
  EXPECT_NE(r.body.find("crous_build_info{tls=\"off\",version=\""), std::string::npos);
  EXPECT_GT(sample(s, "process_resident_memory_bytes"), 1e6);
  EXPECT_GT(sample(s, "process_virtual_memory_bytes"), sample(s, "process_resident_memory_bytes"));
  EXPECT_GE(sample(s, "process_open_fds"), 3);
  EXPECT_GE(sample(s, "process_max_fds"), sample(s, "process_open_fds"));
  EXPECT_GE(sample(s, "process_cpu_seconds_total"), 0);
  const double now = static_cast<double>(std::time(nullptr));
  EXPECT_GT(sample(s, "process_start_time_seconds"), now - 24 * 3600);
  EXPECT_LE(sample(s, "process_start_time_seconds"), now + 1);

  expect_promtool_accepts(r.body);
}

TEST(Metrics, UnregisteredOpNamesNeverBecomeLabelValues) {
  TestServer server(metrics_options());
  const std::uint16_t mport = server.server().metrics_port();
  const std::string before = http_get(mport, "/metrics").body;
  Client c(server.port());
  Bytes wire;
  std::mt19937 random(7);
  constexpr int kNames = 500;
  for (int i = 0; i < kNames; ++i) encode_flux(Dict{{"op", "op-" + std::to_string(random())}}, wire);
  encode_flux(Dict{{"no_op_key", 1}}, wire);  // no op: the default route (echo)
  c.send_bytes(wire);
  for (int i = 0; i < kNames; ++i) ASSERT_EQ(error_code_of(c.read()), "unknown_op");
  c.read();
  const std::string after = http_get(mport, "/metrics").body;
  const Samples s = parse_exposition(after);
  // The same series before and after, only other values.
  std::set<std::string> series_before, series_after;
  for (const auto& [k, v] : parse_exposition(before)) series_before.insert(k);
  for (const auto& [k, v] : s) series_after.insert(k);
  EXPECT_EQ(series_before, series_after);
  EXPECT_EQ(sample(s, count_of("(unregistered)")), kNames);
  EXPECT_EQ(sample(s, count_of("echo")), 1);
  EXPECT_EQ(sample(s, errors_of("unknown_op")), kNames);
  EXPECT_EQ(after.find("op-"), std::string::npos);
}

TEST(Metrics, HealthzAlwaysAndReadyzUntilMaxConnections) {
  auto options = metrics_options();
  options.max_connections = 2;
  TestServer server(options);
  const std::uint16_t mport = server.server().metrics_port();
  HttpResponse ready = http_get(mport, "/readyz");
  EXPECT_EQ(ready.status, 200);
  EXPECT_EQ(ready.body, "ready\n");
  EXPECT_EQ(http_get(mport, "/healthz").status, 200);
  EXPECT_EQ(http_get(mport, "/healthz").body, "ok\n");
  {
    auto clients = served_clients(server.port(), 2);
    HttpResponse full = http_get(mport, "/readyz");
    EXPECT_EQ(full.status, 503);
    EXPECT_NE(full.body.find("max_connections"), std::string::npos) << full.body;
    EXPECT_EQ(http_get(mport, "/healthz").status, 200);
    EXPECT_EQ(sample(scrape(mport), "crous_ready"), 0);
    // The listener refuses the third, as /readyz said it would.
    Client third(server.port());
    expect_refused_as_busy(third);
    clients.pop_back();
    EXPECT_TRUE(eventually([&] { return http_get(mport, "/readyz").status == 200; }));
    EXPECT_EQ(sample(scrape(mport), "crous_ready"), 1);
    EXPECT_EQ(sample(scrape(mport), "crous_connections_rejected_total"), 1);
  }
  // HEAD: the status without a body; other methods and paths are refused.
  HttpResponse head = http_request(mport, "HEAD", "/readyz");
  EXPECT_EQ(head.status, 200);
  EXPECT_EQ(head.body, "");
  EXPECT_EQ(http_request(mport, "POST", "/metrics", "Content-Length: 0\r\n").status, 405);
  EXPECT_EQ(http_get(mport, "/").status, 404);
  EXPECT_EQ(http_get(mport, "/metrics/../secret").status, 404);
}

// Fills every buffer between a client that never reads and the server, so
// that the server's drain has to wait for it until the drain deadline.
void stall_with_a_client_that_never_reads(Client& hog) {
  Bytes wire;
  for (int i = 0; i < 20'000; ++i) encode_flux(Dict{{"id", i}, {"pad", std::string(200, 'p')}}, wire);
  std::size_t at = 0;
  for (int stalls = 0; stalls < 20 && at < wire.size();) {
    const std::size_t n = hog.send_some_nonblocking(wire.data() + at, wire.size() - at);
    at += n;
    if (n == 0) {
      ++stalls;
      std::this_thread::sleep_for(10ms);
    }
  }
}

TEST(Metrics, ReadyzSays503WhileDrainingAfterSigtermAndHealthzStays200UntilExit) {
  ServerProcess proc(
      {"--port", "0", "--metrics-port", "0", "--threads", "1", "--drain-timeout", "2s", "--high-watermark", "64KiB"});
  const std::uint16_t mport = proc.metrics_port();
  ASSERT_NE(mport, 0) << proc.log();
  EXPECT_EQ(http_get(mport, "/readyz").status, 200);
  Client hog(proc.port());
  stall_with_a_client_that_never_reads(hog);
  proc.signal(SIGTERM);
  ASSERT_TRUE(eventually([&] { return http_get(mport, "/readyz").status == 503; }, 1500ms)) << proc.log();
  HttpResponse draining = http_get(mport, "/readyz");
  EXPECT_NE(draining.body.find("draining"), std::string::npos) << draining.body;
  EXPECT_EQ(http_get(mport, "/healthz").status, 200);
  EXPECT_EQ(sample(scrape(mport), "crous_ready"), 0);
  EXPECT_EQ(sample(scrape(mport), "crous_connections_open"), 1);
  EXPECT_EQ(proc.wait_exit(6s), 0) << proc.log();
  // Gone with the process.
  EXPECT_THROW(close(connect_loopback(mport)), std::system_error);
}

TEST(Metrics, BadHttpOnTheMetricsPortNeverAffectsTheRecordPort) {
  ServerProcess proc({"--port", "0", "--metrics-port", "0", "--threads", "2"});
  const std::uint16_t mport = proc.metrics_port();
  ASSERT_NE(mport, 0) << proc.log();
  Client records(proc.port());
  std::atomic<bool> stop{false};
  std::atomic<int> answered{0};
  std::atomic<std::int64_t> worst_us{0};
  std::atomic<bool> failed{false};
  // The record port, pinged back to back for the whole test.
  std::thread pinger([&] {
    try {
      while (!stop) {
        const auto t0 = std::chrono::steady_clock::now();
        records.send(Dict{{"op", "ping"}});
        if (records.read(5s) != Value(Dict{{"pong", true}})) failed = true;
        const auto us =
            std::chrono::duration_cast<std::chrono::microseconds>(std::chrono::steady_clock::now() - t0).count();
        worst_us = std::max<std::int64_t>(worst_us, us);
        ++answered;
      }
    } catch (const std::exception&) {
      failed = true;
    }
  });

  // Garbage: the listener answers 400 (or closes) and goes on.
  {
    std::mt19937 random(11);
    std::string junk(8192, '\0');
    for (char& ch : junk) ch = static_cast<char>(random());
    junk += "\r\n\r\n";
    int fd = connect_loopback(mport);
    ::send(fd, junk.data(), junk.size(), MSG_NOSIGNAL);
    const std::string reply = read_until_closed(fd, 10s);
    ::close(fd);
    EXPECT_EQ(reply.find("200 OK"), std::string::npos) << reply.substr(0, 200);
  }
  // Huge headers (1 MiB): refused, never served.
  {
    int fd = connect_loopback(mport);
    std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n";
    for (int i = 0; i < 1024; ++i) request += "X-Big-" + std::to_string(i) + ": " + std::string(1000, 'a') + "\r\n";
    request += "\r\n";
    std::thread writer([&] { ::send(fd, request.data(), request.size(), MSG_NOSIGNAL); });
    const std::string reply = read_until_closed(fd, 10s);
    ::shutdown(fd, SHUT_RDWR);
    writer.join();
    ::close(fd);
    EXPECT_EQ(reply.find("200 OK"), std::string::npos) << reply.substr(0, 200);
  }

  // Slow clients: more than the listener has threads, each trickling a
  // request one byte at a time (the listener drops each when its request
  // is not complete within 5 s; meanwhile they hold all its threads).
  std::vector<int> slow;
  for (int i = 0; i < 8; ++i) slow.push_back(connect_loopback(mport));
  const std::string partial = "GET /metrics HTTP/1.1\r\nHost: x\r\nX-Slow: ";
  for (int round = 0; round < 6; ++round) {
    for (int fd : slow) ::send(fd, partial.data() + std::min<std::size_t>(round, partial.size() - 1), 1, MSG_NOSIGNAL);
    std::this_thread::sleep_for(250ms);
  }

  // While all of that went on, the record port answered promptly.
  const int answered_during = answered.load();
  stop = true;
  pinger.join();
  EXPECT_FALSE(failed.load());
  EXPECT_GT(answered_during, 100);
  EXPECT_LT(worst_us.load(), 1'000'000) << "a ping took " << worst_us.load() << " us";

  // Once the slow clients go, the listener serves again.
  for (int fd : slow) ::close(fd);
  EXPECT_TRUE(eventually([&] { return http_get(mport, "/metrics", 2s).status == 200; }, 15s));
  const Samples s = scrape(mport);
  EXPECT_EQ(sample(s, "crous_received_records_total"), answered.load());
  EXPECT_EQ(sample(s, errors_of("decode_error")), 0);

  // Slow HTTP clients do not hold the process at shutdown either.
  std::vector<int> stuck;
  for (int i = 0; i < 4; ++i) {
    stuck.push_back(connect_loopback(mport));
    ::send(stuck.back(), "GET /", 5, MSG_NOSIGNAL);
  }
  std::this_thread::sleep_for(100ms);
  const auto t0 = std::chrono::steady_clock::now();
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
  EXPECT_LT(std::chrono::steady_clock::now() - t0, 3s);
  for (int fd : stuck) ::close(fd);
}

TEST(Metrics, AServiceAddsItsOwnMetricsToTheRegistry) {
  TestServer server(metrics_options(), [](server::Router& r) { r.add("hit", [](const Value&) { return Value(1); }); });
  auto& registry = server.server().metrics_registry();
  auto& family = prometheus::BuildCounter().Name("svc_widgets_total").Help("Widgets made").Register(registry);
  family.Add({{"colour", "blue"}}).Increment(3);
  // A family reusing one of the server's names is left out (the server's wins).
  prometheus::BuildCounter().Name("crous_errors_total").Help("clash").Register(registry).Add({}).Increment(99);
  const std::string body = http_get(server.server().metrics_port(), "/metrics").body;
  const Samples s = parse_exposition(body);
  EXPECT_EQ(sample(s, "svc_widgets_total{colour=\"blue\"}"), 3);
  EXPECT_EQ(sample(s, errors_of("unknown_op")), 0);
  EXPECT_EQ(s.count("crous_errors_total"), 0u);
  EXPECT_EQ(body.find("# HELP crous_errors_total clash"), std::string::npos);
  expect_promtool_accepts(body);
}

TEST(Metrics, TheExampleServiceExportsItsOwnCounters) {
  ServerProcess proc({"--port", "0", "--metrics-port", "0", "--threads", "1"}, "crous-example-service");
  ASSERT_NE(proc.metrics_port(), 0) << proc.log();
  Client c(proc.port());
  c.send(Dict{{"op", "greet"}, {"name", "Ada"}});
  c.send(Dict{{"op", "greet"}, {"name", "Grace"}});
  c.send(Dict{{"op", "greet"}});
  c.send(Dict{{"op", "count_primes"}, {"below", 1000}});
  c.read();
  c.read();
  c.read();
  c.read();
  const std::string body = http_get(proc.metrics_port(), "/metrics").body;
  const Samples s = parse_exposition(body);
  EXPECT_EQ(sample(s, "example_greetings_total"), 2);
  EXPECT_EQ(sample(s, "example_primes_counted_total"), 168);
  EXPECT_EQ(sample(s, count_of("greet")), 3);
  EXPECT_EQ(sample(s, count_of("count_primes")), 1);
  EXPECT_EQ(sample(s, errors_of("handler_error")), 1);  // the HandlerError("bad_request")
  expect_promtool_accepts(body);
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
}

TEST(Metrics, TlsIsInTheBuildInfoAndFailedHandshakesAreCounted) {
  TestPki ca;
  const TestPki::Issued cert = ca.issue_server();
  auto options = metrics_options();
  options.tls_port = 0;
  options.tls_cert_file = cert.cert.string();
  options.tls_key_file = cert.key.string();
  TestServer server(options);
  {
    Client plain(server.server().tls_port());  // a plain Crous client on the TLS port
    plain.send(Dict{{"op", "ping"}});
    EXPECT_EQ(error_code_of(plain.read()), "tls_required");
  }
  const std::uint16_t mport = server.server().metrics_port();
  ASSERT_TRUE(eventually([&] { return sample(scrape(mport), errors_of("tls_handshake_failed")) == 1; }));
  const std::string body = http_get(mport, "/metrics").body;
  EXPECT_NE(body.find("crous_build_info{tls=\"on\",version=\""), std::string::npos);
  expect_promtool_accepts(body);
}

TEST(Metrics, OffByDefaultAndABusyPortStopsTheStart) {
  {
    TestServer server;  // test_options(): no metrics_port
    EXPECT_EQ(server.server().metrics_port(), 0);
  }
  {
    ServerProcess proc({"--port", "0"});
    EXPECT_EQ(proc.metrics_port(), 0);
    EXPECT_EQ(proc.log().find("metrics on"), std::string::npos) << proc.log();
  }
  // The metrics port is taken: start() fails and says which address.
  TestServer holder(metrics_options());
  auto options = metrics_options();
  options.metrics_port = holder.server().metrics_port();
  server::Server second(options);
  try {
    second.start();
    ADD_FAILURE() << "started on a metrics port in use";
  } catch (const std::exception& e) {
    EXPECT_NE(std::string(e.what()).find("127.0.0.1:" + std::to_string(*options.metrics_port)), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace crous::test

namespace crous::test {
namespace {

// Every PromQL expression of a panel in the dashboard, with Grafana's
// variables replaced by what they stand for.
std::vector<std::string> dashboard_queries(const nlohmann::json& dashboard) {
  std::vector<std::string> out;
  std::function<void(const nlohmann::json&)> walk = [&](const nlohmann::json& node) {
    if (node.is_object()) {
      if (node.contains("expr") && node["expr"].is_string()) out.push_back(node["expr"].get<std::string>());
      for (const auto& [key, child] : node.items())
        if (key != "templating") walk(child);
    } else if (node.is_array()) {
      for (const auto& child : node) walk(child);
    }
  };
  walk(dashboard["panels"]);
  for (std::string& q : out) {
    for (const auto& [var, value] :
         {std::pair<std::string, std::string>{"$__rate_interval", "1m"}, {"$instance", ".*"}, {"$job", ".*"}}) {
      for (auto at = q.find(var); at != std::string::npos; at = q.find(var, at)) q.replace(at, var.size(), value);
    }
  }
  return out;
}

TEST(Metrics, TheGrafanaDashboardQueriesParseAndNameOnlyExportedMetrics) {
  std::ifstream file(std::string(CROUS_SOURCE_DIR) + "/deploy/grafana/crous-dashboard.json");
  ASSERT_TRUE(file) << "deploy/grafana/crous-dashboard.json missing";
  const nlohmann::json dashboard = nlohmann::json::parse(file);
  const std::vector<std::string> queries = dashboard_queries(dashboard);
  ASSERT_GE(queries.size(), 10u);

  // promtool parses them (as recording rules).
  std::string rules = "groups:\n  - name: dashboard\n    rules:\n";
  for (std::size_t i = 0; i < queries.size(); ++i) {
    std::string escaped;
    for (char ch : queries[i]) escaped += ch == '\'' ? std::string("''") : std::string(1, ch);
    rules += "      - record: dashboard:query" + std::to_string(i) + "\n        expr: '" + escaped + "'\n";
  }
  const auto path = temp_dir("dashboard") / "rules.yml";
  std::ofstream(path) << rules;
  ASSERT_EQ(std::system("command -v promtool >/dev/null 2>&1"), 0)
      << "promtool not found: install the Debian package prometheus (scripts/install-deps.sh)";
  const std::string command = "promtool check rules '" + path.string() + "' > '" + path.string() + ".out' 2>&1";
  const int status = std::system(command.c_str());
  std::ifstream out(path.string() + ".out");
  EXPECT_EQ(status, 0) << std::string(std::istreambuf_iterator<char>(out), {}) << "\n" << rules;

  // Every metric they name is one the server exports (histograms by their
  // _bucket/_count/_sum series), besides Prometheus' own `up`.
  TestServer server(metrics_options());
  const Samples s = scrape(server.server().metrics_port());
  std::set<std::string> exported{"up"};
  for (const auto& [series, value] : s) exported.insert(series.substr(0, series.find('{')));
  const std::regex metric(R"(\b((crous|process)_[a-z_]+)\b)");
  for (const std::string& q : queries)
    for (std::sregex_iterator it(q.begin(), q.end(), metric), end; it != end; ++it)
      EXPECT_TRUE(exported.count((*it)[1].str())) << (*it)[1].str() << " in " << q;
}

}  // namespace
}  // namespace crous::test
