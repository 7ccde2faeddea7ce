// crous-echo --compress lz4 end to end: the binary against the real
// crous-server (its own process), plain and over TLS, in call and --count
// mode, from the flag and from CROUS_CLIENT_COMPRESSION, and against a
// server with compression off.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "child_process.hpp"
#include "test_pki.hpp"
#include "tls_fixtures.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

ChildResult echo(unsigned short port, std::vector<std::string> args) { return run_echo_json(port, std::move(args)); }

TEST(CrousEchoCompression, RecordsAndCountModeOverLz4) {
  ServerProcess server;
  const auto calls = echo(server.port(), {"--compress", "lz4", R"({"name": "Alice"})", "[1, 2, 3]", R"({"op": "ping"})"});
  ASSERT_EQ(calls.exit_code, 0) << calls.err;
  EXPECT_EQ(calls.out, "{\"name\":\"Alice\"}\n[1,2,3]\n{\"pong\":true}\n");
  EXPECT_EQ(calls.err, "") << "the server agreed: no warning";

  const auto bench = echo(server.port(), {"--compress", "lz4", "--count", "5000", "--pipeline", "32", R"({"k": "v"})"});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_TRUE(contains(bench.out, "5000 records in")) << bench.out;
  EXPECT_TRUE(contains(bench.out, "error responses 0")) << bench.out;
  EXPECT_TRUE(contains(bench.out, "compression lz4")) << "the summary says what the server chose: " << bench.out;
  EXPECT_EQ(bench.err, "");

  // Error records arrive through the compressed stream like any response.
  const auto errors = echo(server.port(), {"--compress", "lz4", "--op", "no-such-op", R"({"id": 3})"});
  EXPECT_EQ(errors.exit_code, 1);
  EXPECT_TRUE(contains(errors.out, "\"unknown_op\"")) << errors.out;
  EXPECT_EQ(server.stop(), 0);
}

TEST(CrousEchoCompression, FromTheEnvironmentAndFlagsWin) {
  ServerProcess server;
  {
    ScopedEnvironment env(ScopedEnvironment::Variables{{"CROUS_CLIENT_COMPRESSION", "lz4"}});
    const auto compressed = echo(server.port(), {"--count", "100", "--op", "ping"});
    ASSERT_EQ(compressed.exit_code, 0) << compressed.err;
    EXPECT_TRUE(contains(compressed.out, "compression lz4")) << compressed.out;
    const auto overridden = echo(server.port(), {"--compress", "none", "--count", "100", "--op", "ping"});
    ASSERT_EQ(overridden.exit_code, 0) << overridden.err;
    EXPECT_FALSE(contains(overridden.out, "compression")) << "--compress none asks for nothing: " << overridden.out;
  }
  {
    ScopedEnvironment env(ScopedEnvironment::Variables{{"CROUS_CLIENT_COMPRESSION", "zstd"}});
    const auto bad = echo(server.port(), {"--op", "ping"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_TRUE(contains(bad.err, "CROUS_CLIENT_COMPRESSION")) << bad.err;
  }
  const auto bad_flag = echo(server.port(), {"--compress", "gzip", "--op", "ping"});
  EXPECT_EQ(bad_flag.exit_code, 2);
  EXPECT_TRUE(contains(bad_flag.err, "--compress: expected lz4 or none")) << bad_flag.err;

  const auto help = run_program(bin_dir() / "crous-echo", {"--help"});
  EXPECT_TRUE(contains(help.out, "--compress")) << help.out;
  EXPECT_TRUE(contains(help.out, "CROUS_CLIENT_COMPRESSION")) << help.out;
}

TEST(CrousEchoCompression, AServerWithCompressionOffIsUsedPlainWithAWarning) {
  ServerProcess server({"--compression", "off"});
  const auto result = echo(server.port(), {"--compress", "lz4", R"({"name": "Alice"})"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"name\":\"Alice\"}\n");
  EXPECT_TRUE(contains(result.err, "declined --compress lz4")) << result.err;

  const auto bench = echo(server.port(), {"--compress", "lz4", "--count", "200", "--op", "ping"});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_TRUE(contains(bench.out, "compression none")) << bench.out;

  // A health check stays quiet: the exit status is all it reports.
  const auto quiet = echo(server.port(), {"--compress", "lz4", "--quiet", "--op", "ping"});
  EXPECT_EQ(quiet.exit_code, 0);
  EXPECT_EQ(quiet.err, "");
  EXPECT_EQ(server.stop(), 0);
}

TEST(CrousEchoCompression, OverTls) {
  TestPki pki;
  const auto cert = pki.issue_server();
  const unsigned short tls_port = free_port();
  ServerProcess server({"--tls-port", std::to_string(tls_port), "--tls-cert-file", cert.cert.string(),
                        "--tls-key-file", cert.key.string()});
  const auto calls = echo(tls_port, {"--cacert", pki.ca_cert().string(), "--compress", "lz4", R"({"over": "tls"})"});
  ASSERT_EQ(calls.exit_code, 0) << calls.err;
  EXPECT_EQ(calls.out, "{\"over\":\"tls\"}\n");
  EXPECT_EQ(calls.err, "");
  const auto bench = echo(tls_port, {"--cacert", pki.ca_cert().string(), "--compress", "lz4", "--count", "2000",
                                     "--pipeline", "16", R"({"k": "v"})"});
  ASSERT_EQ(bench.exit_code, 0) << bench.err;
  EXPECT_TRUE(contains(bench.out, "compression lz4")) << bench.out;
  EXPECT_EQ(server.stop(), 0);
}

}  // namespace
}  // namespace crous::test
