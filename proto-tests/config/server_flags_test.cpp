// The crous-server binary's own handling of configuration: --help,
// --print-config, --check-config and refusal to start on a bad value.
#include <gtest/gtest.h>

#include <string>

#include "test_support.hpp"

namespace {

// `env` is a prefix of VAR=value assignments for the shell.
crous::test::CommandOutcome run_server(const std::string& args, const std::string& env = "") {
  return crous::test::run_command("env -u CROUS_CONFIG " + env + " '" +
                                  (crous::test::bin_dir() / "crous-server").string() + "' " + args + " 2>&1");
}

TEST(ServerFlags, HelpExitsZeroAndDocumentsOptions) {
  auto r = run_server("--help");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("--max-record-bytes"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("CROUS_PORT"), std::string::npos) << r.output;
}

TEST(ServerFlags, PrintConfigShowsValuesAndSources) {
  auto r = run_server("--print-config --port 9100", "CROUS_IDLE_TIMEOUT=45s");
  EXPECT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("port = 9100"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("command line (--port)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("idle_timeout = 45s"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("environment (CROUS_IDLE_TIMEOUT)"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("max_depth = 256"), std::string::npos) << r.output;
}

TEST(ServerFlags, CheckConfigAcceptsTheShippedFile) {
  auto r = run_server("--check-config --config '" + std::string(CROUS_SOURCE_DIR) + "/config/crous-server.conf'");
  EXPECT_EQ(r.status, 0) << r.output;
}

TEST(ServerFlags, BadValuesStopTheServerNamingTheOption) {
  auto flag = run_server("--max-depth=-3");
  EXPECT_NE(flag.status, 0);
  EXPECT_NE(flag.output.find("max_depth"), std::string::npos) << flag.output;

  auto env = run_server("--check-config", "CROUS_LOG_FORMAT=yaml");
  EXPECT_NE(env.status, 0);
  EXPECT_NE(env.output.find("log_format"), std::string::npos) << env.output;
  EXPECT_NE(env.output.find("CROUS_LOG_FORMAT"), std::string::npos) << env.output;

  // Bad in a way only the server can tell: no handler has that name.
  auto route = run_server("--check-config --default-route nosuchop");
  EXPECT_NE(route.status, 0);
  EXPECT_NE(route.output.find("default_route"), std::string::npos) << route.output;
}

}  // namespace
