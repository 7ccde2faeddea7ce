// Routing, built-in ops and error records on a live server.
#include <gtest/gtest.h>

#include <stdexcept>
#include <system_error>

#include "crous/server/error_record.hpp"
#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

TEST(ServerRouting, PingAnswersPong) {
  TestServer server;
  Client c(server.port());
  c.send(Dict{{"op", "ping"}});
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
}

TEST(ServerRouting, EchoReturnsEveryGoldenValueUnchanged) {
  TestServer server;
  Client c(server.port());
  auto files = golden_files("valid", ".flux");
  ASSERT_FALSE(files.empty());
  std::vector<Value> sent;
  for (const auto& f : files) {
    auto bytes = read_file(f);
    sent.push_back(decode_flux(bytes));
    c.send_bytes(bytes);  // the original's bytes, as a client using dumps() sends them
  }
  for (std::size_t i = 0; i < sent.size(); ++i) EXPECT_EQ(c.read(), sent[i]) << files[i];
}

TEST(ServerRouting, LegacyRecordIsEchoedAsFlux) {
  TestServer server;
  Client c(server.port());
  auto files = golden_files("legacy", ".crou");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    c.send_bytes(read_file(f));
    Value back = c.read();
    EXPECT_EQ(back, decode_flux(read_file(f))) << f;
    EXPECT_EQ(encode_flux(back), read_file(std::filesystem::path(f).replace_extension(".flux"))) << f;
  }
}

TEST(ServerRouting, RequestsWithoutAStringOpGoToTheDefaultRoute) {
  TestServer server;
  Client c(server.port());
  const std::vector<Value> requests = {
      Value(42), Value("op"), Value(List{1, 2}), Value(Dict{{"id", 1}}), Value(Dict{{"op", 5}}), Value(nullptr)};
  for (const auto& r : requests) c.send(r);
  for (const auto& r : requests) EXPECT_EQ(c.read(), r);
}

TEST(ServerRouting, UnknownOpGetsAnErrorWithTheRequestIdAndTheConnectionStaysOpen) {
  TestServer server;
  Client c(server.port());
  c.send(Dict{{"op", "launch"}, {"id", 7}});
  c.send(Dict{{"op", "launch"}});
  c.send(Dict{{"op", "ping"}});
  Value with_id = c.read();
  ASSERT_EQ(error_code_of(with_id), "unknown_op") << with_id;
  EXPECT_NE(with_id["error"]["message"].as_string().find("launch"), std::string::npos);
  ASSERT_EQ(with_id.as_dict().size(), 2u);
  // Fixed layout: "error" first, then "id".
  EXPECT_EQ(with_id.as_dict().entries()[0].first, "error");
  EXPECT_EQ(with_id.as_dict().entries()[1].first, "id");
  EXPECT_EQ(with_id["id"], Value(7));
  Value without_id = c.read();
  EXPECT_EQ(error_code_of(without_id), "unknown_op");
  EXPECT_FALSE(without_id.contains("id"));
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
}

TEST(ServerRouting, ThrowingHandlerGetsHandlerErrorAndTheConnectionStaysOpen) {
  TestServer server(test_options(), [](server::Router& r) {
    r.add("boom", [](const Value&) -> Value { throw std::runtime_error("kaput"); });
    r.add("missing", [](const Value& req) -> Value { return req["nope"]; });  // KeyError
    r.add("custom", [](const Value&) -> Value { throw server::HandlerError("not_found", "no such user"); });
    r.add_offloaded("slow_boom", [](const Value&) -> Value { throw std::runtime_error("late kaput"); });
  });
  Client c(server.port());
  c.send(Dict{{"op", "boom"}, {"id", "a"}});
  c.send(Dict{{"op", "missing"}});
  c.send(Dict{{"op", "custom"}, {"id", 3}});
  c.send(Dict{{"op", "slow_boom"}, {"id", 4}});
  c.send(Dict{{"op", "ping"}});
  Value boom = c.read();
  EXPECT_EQ(error_code_of(boom), "handler_error");
  EXPECT_EQ(boom["error"]["message"], Value("kaput"));
  EXPECT_EQ(boom["id"], Value("a"));
  EXPECT_EQ(error_code_of(c.read()), "handler_error");
  Value custom = c.read();
  EXPECT_EQ(error_code_of(custom), "not_found");
  EXPECT_EQ(custom["id"], Value(3));
  Value slow = c.read();
  EXPECT_EQ(error_code_of(slow), "handler_error");
  EXPECT_EQ(slow["error"]["message"], Value("late kaput"));
  EXPECT_EQ(slow["id"], Value(4));
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
  EXPECT_EQ(server.server().stats().handler_errors, 4u);
}

TEST(ServerRouting, RouteKeyAndDefaultRouteAreConfigurable) {
  auto options = test_options();
  options.route_key = "cmd";
  options.default_route = "ping";
  TestServer server(options);
  Client c(server.port());
  c.send(Dict{{"cmd", "echo"}, {"x", 1}});
  c.send(Dict{{"op", "echo"}});  // not the route key any more: default route
  EXPECT_EQ(c.read(), Value(Dict{{"cmd", "echo"}, {"x", 1}}));
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
}

TEST(ServerRouting, StartRefusesADefaultRouteWithoutHandler) {
  auto options = test_options();
  options.default_route = "nothing";
  server::Server s(options);
  EXPECT_THROW(s.start(), std::invalid_argument);
}

TEST(ServerRouting, StartFailsWhenThePortIsTaken) {
  TestServer first;
  auto options = test_options();
  options.port = first.port();
  server::Server second(options);
  EXPECT_THROW(second.start(), std::system_error);
}

TEST(ServerRouting, RegisteredHandlersReplaceBuiltins) {
  TestServer server(test_options(), [](server::Router& r) {
    r.add("echo", [](const Value& req) { return Value(Dict{{"wrapped", req}}); });
  });
  Client c(server.port());
  c.send(Value(5));
  EXPECT_EQ(c.read(), Value(Dict{{"wrapped", 5}}));
}

TEST(ServerRouting, StatsCountConnectionsRecordsAndErrors) {
  TestServer server;
  {
    Client c(server.port());
    c.send(Dict{{"op", "ping"}});
    c.send(Dict{{"op", "nope"}});
    c.read();
    c.read();
  }
  Client c(server.port());
  c.send(Dict{{"op", "stats"}});
  Value s = c.read();
  EXPECT_EQ(s["connections"]["total"], Value(2));
  EXPECT_GE(s["connections"]["open"].as_int(), 1);
  // Counters are published after each batch, before its responses are
  // written: the first connection's two records are in, this request is not yet.
  EXPECT_EQ(s["records"]["in"], Value(2));
  EXPECT_EQ(s["records"]["out"], Value(2));
  EXPECT_GT(s["bytes"]["in"].as_int(), 0);
  EXPECT_EQ(s["errors"]["unknown_op"], Value(1));
  EXPECT_EQ(s["errors"]["decode_error"], Value(0));
  EXPECT_TRUE(s["uptime_seconds"].is_float());
}

TEST(ServerRouting, InfoReportsVersionAndLimits) {
  auto options = test_options();
  options.max_record_bytes = 1 << 20;
  TestServer server(options);
  Client c(server.port());
  c.send(Dict{{"op", "info"}});
  Value info = c.read();
  EXPECT_TRUE(info["version"].is_string());
  EXPECT_EQ(info["limits"]["max_record_bytes"], Value(1 << 20));
  EXPECT_EQ(info["limits"]["max_depth"], Value(256));
  bool has_echo = false;
  for (const auto& op : info["ops"].as_list()) has_echo |= op == Value("echo");
  EXPECT_TRUE(has_echo);
}

}  // namespace
}  // namespace crous::test
