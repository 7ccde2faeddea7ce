// The embedding example (examples/example_service.cpp) as a real process:
// its inline and offloaded handlers, its clean stop, and the main path it
// shares with crous-server (run_service).
#include <gtest/gtest.h>
#include <signal.h>

#include <string>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

TEST(ExampleService, InlineAndOffloadedHandlersAnswerInOrder) {
  ServerProcess proc({"--port", "0", "--threads", "1", "--workers", "2"}, "crous-example-service");
  Client c(proc.port());
  c.send(Dict{{"op", "count_primes"}, {"below", 2'000'000}, {"id", 1}});
  c.send(Dict{{"op", "greet"}, {"name", "Ada"}, {"id", 2}});
  c.send(Dict{{"op", "greet"}, {"id", 3}});
  c.send(Dict{{"op", "count_primes"}, {"below", 100}});
  EXPECT_EQ(c.read(), Value(Dict{{"below", 2'000'000}, {"primes", 148'933}}));
  EXPECT_EQ(c.read(), Value(Dict{{"greeting", "hello, Ada"}}));
  Value bad = c.read();
  EXPECT_EQ(error_code_of(bad), "bad_request") << bad;
  EXPECT_EQ(bad["id"], Value(3));
  EXPECT_EQ(c.read(), Value(Dict{{"below", 100}, {"primes", 25}}));
  proc.signal(SIGTERM);
  EXPECT_TRUE(c.closed_without_more_data());
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
}

CommandOutcome run_example(const std::string& args) {
  return run_command("env -u CROUS_CONFIG '" + (bin_dir() / "crous-example-service").string() + "' " + args + " 2>&1");
}

TEST(ExampleService, SharesTheServersFlagsHelpAndConfigChecks) {
  auto help = run_example("--help");
  EXPECT_EQ(help.status, 0) << help.output;
  EXPECT_NE(help.output.find("crous-example-service"), std::string::npos) << help.output;
  EXPECT_NE(help.output.find("--print-config"), std::string::npos) << help.output;

  auto printed = run_example("--print-config --port 9100");
  EXPECT_EQ(printed.status, 0) << printed.output;
  EXPECT_NE(printed.output.find("9100"), std::string::npos) << printed.output;

  // The check runs after the service registered its routes: its own op is a
  // valid default_route, an unknown one is not.
  auto own_route = run_example("--check-config --default-route greet");
  EXPECT_EQ(own_route.status, 0) << own_route.output;
  EXPECT_NE(own_route.output.find("configuration OK"), std::string::npos) << own_route.output;
  auto unknown = run_example("--check-config --default-route nosuchop");
  EXPECT_EQ(unknown.status, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("crous-example-service: "), std::string::npos) << unknown.output;
  EXPECT_NE(unknown.output.find("default_route"), std::string::npos) << unknown.output;
}

TEST(ExampleService, LogsUnderItsOwnName) {
  ServerProcess proc({"--port", "0", "--threads", "1"}, "crous-example-service");
  EXPECT_NE(proc.log().find("crous-example-service listening on"), std::string::npos) << proc.log();
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
  EXPECT_NE(proc.log().find("crous-example-service stopped"), std::string::npos) << proc.log();
  EXPECT_EQ(proc.log().find("crous-server"), std::string::npos) << proc.log();
}

}  // namespace
}  // namespace crous::test
