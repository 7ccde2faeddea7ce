// crous-echo over TLS end to end: the binary against a real TLS peer on
// 127.0.0.1 (TlsEchoPeer) with certificates made at test time.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "child_process.hpp"
#include "test_pki.hpp"
#include "tls_fixtures.hpp"
#include "test_support.hpp"
#include "tls_peer.hpp"

namespace crous::test {
namespace {

ChildResult echo(unsigned short port, std::vector<std::string> args) { return run_echo_json(port, std::move(args)); }

TEST(CrousEchoTls, TlsWithACaFileEchoes) {
  TestPki pki;
  const auto server = pki.issue_server();
  TlsEchoPeer peer({.cert = server.cert, .key = server.key});
  const auto result = echo(peer.port(), {"--tls", "--cacert", pki.ca_cert().string(), R"({"name": "Alice"})"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_EQ(result.out, "{\"name\":\"Alice\"}\n");
  EXPECT_EQ(result.err, "");
  EXPECT_EQ(peer.endings(1), std::vector<std::string>{"close_notify"});
}

TEST(CrousEchoTls, AnyTlsFlagTurnsTlsOn) {
  // --cacert alone: without the implication this would talk plain TCP to
  // a TLS port and fail.
  TestPki pki;
  const auto server = pki.issue_server("records.example", {"records.example"});
  TlsEchoPeer peer({.cert = server.cert, .key = server.key});
  const auto cacert = echo(peer.port(), {"--cacert", pki.ca_cert().string(), "[1, 2]"});
  ASSERT_EQ(cacert.exit_code, 0) << cacert.err;
  EXPECT_EQ(cacert.out, "[1,2]\n");
  const auto named = echo(peer.port(), {"--cacert", pki.ca_cert().string(), "--servername", "records.example", "3"});
  ASSERT_EQ(named.exit_code, 0) << named.err;
  EXPECT_EQ(named.out, "3\n");
}

TEST(CrousEchoTls, WrongServerNameIsAConnectionFailure) {
  TestPki pki;
  const auto server = pki.issue_server();
  TlsEchoPeer peer({.cert = server.cert, .key = server.key});
  const auto result = echo(peer.port(), {"--cacert", pki.ca_cert().string(), "--servername", "wrong.example", "1"});
  EXPECT_EQ(result.exit_code, 3);
  EXPECT_TRUE(contains(result.err, "tls_handshake_failed")) << result.err;
  EXPECT_TRUE(contains(result.err, "hostname mismatch")) << result.err;
  EXPECT_EQ(result.out, "");
}

TEST(CrousEchoTls, UntrustedServerFailsAndInsecureWarnsButConnects) {
  TestPki pki;
  TestPki stranger("another CA");
  const auto server = stranger.issue_server();
  TlsEchoPeer peer({.cert = server.cert, .key = server.key});
  const auto refused = echo(peer.port(), {"--cacert", pki.ca_cert().string(), "1"});
  EXPECT_EQ(refused.exit_code, 3);
  EXPECT_TRUE(contains(refused.err, "certificate verify failed")) << refused.err;

  const auto insecure = echo(peer.port(), {"--insecure", "1"});
  ASSERT_EQ(insecure.exit_code, 0) << insecure.err;
  EXPECT_EQ(insecure.out, "1\n");
  EXPECT_TRUE(contains(insecure.err, "warning: --insecure")) << "must warn: '" << insecure.err << "'";
}

TEST(CrousEchoTls, ClientCertificateForMutualTls) {
  TestPki pki;
  const auto server = pki.issue_server();
  TlsEchoPeer peer({.cert = server.cert, .key = server.key, .client_ca = pki.ca_cert()});
  const auto alice = pki.issue_client("alice");
  const auto with_cert = echo(peer.port(), {"--cacert", pki.ca_cert().string(), "--cert", alice.cert.string(), "--key",
                                            alice.key.string(), "--op", "ping"});
  ASSERT_EQ(with_cert.exit_code, 0) << with_cert.err;
  EXPECT_EQ(with_cert.out, "{\"op\":\"ping\"}\n");  // an echo peer, not a server: the record comes back
  EXPECT_EQ(peer.client_names(), std::vector<std::string>{"alice"});

  const auto without = echo(peer.port(), {"--cacert", pki.ca_cert().string(), "--op", "ping"});
  EXPECT_EQ(without.exit_code, 3);
  EXPECT_TRUE(contains(without.err, "tls_handshake_failed")) << without.err;
  EXPECT_TRUE(contains(without.err, "certificate required")) << without.err;
}

TEST(CrousEchoTls, BenchmarkRunsOverTls) {
  TestPki pki;
  const auto server = pki.issue_server();
  TlsEchoPeer peer({.cert = server.cert, .key = server.key});
  const auto result = echo(peer.port(), {"--cacert", pki.ca_cert().string(), "--count", "500", "--pipeline", "8", "{s1:k:i1}"});
  ASSERT_EQ(result.exit_code, 0) << result.err;
  EXPECT_TRUE(contains(result.out, "500 records in")) << result.out;
  EXPECT_TRUE(contains(result.out, "error responses 0")) << result.out;
}

TEST(CrousEchoTls, EnvironmentVariablesActAsTheFlags) {
  // What a container health check would use; the names are not the
  // server's CROUS_TLS_* (in a server's environment those are its own files).
  TestPki pki;
  const auto server = pki.issue_server("records.example", {"records.example"});
  TlsEchoPeer peer({.cert = server.cert, .key = server.key, .client_ca = pki.ca_cert()});
  const auto alice = pki.issue_client("alice");
  {
    ScopedEnvironment env(ScopedEnvironment::Variables{{"CROUS_CLIENT_TLS", "1"},
                           {"CROUS_CLIENT_TLS_CA_FILE", pki.ca_cert().string()},
                           {"CROUS_CLIENT_TLS_CERT_FILE", alice.cert.string()},
                           {"CROUS_CLIENT_TLS_KEY_FILE", alice.key.string()},
                           {"CROUS_CLIENT_TLS_SERVER_NAME", "records.example"}});
    const auto result = echo(peer.port(), {"--quiet", "--op", "ping"});
    EXPECT_EQ(result.exit_code, 0) << result.err;
    EXPECT_EQ(result.out, "");
    // A flag wins over its variable.
    const auto overridden = echo(peer.port(), {"--servername", "wrong.example", "--op", "ping"});
    EXPECT_EQ(overridden.exit_code, 3) << overridden.err;
    EXPECT_TRUE(contains(overridden.err, "hostname mismatch")) << overridden.err;
  }
  {
    ScopedEnvironment env(ScopedEnvironment::Variables{{"CROUS_CLIENT_TLS", "maybe"}});
    const auto bad = echo(peer.port(), {"--op", "ping"});
    EXPECT_EQ(bad.exit_code, 2);
    EXPECT_TRUE(contains(bad.err, "CROUS_CLIENT_TLS")) << bad.err;
  }
}

TEST(CrousEchoTls, UnusableTlsFilesAreBadInput) {
  TestPki pki;
  const auto alice = pki.issue_client("alice");
  const unsigned short nobody = free_port();  // never reached: the files are checked first
  const std::string missing = (pki.dir() / "missing-ca.pem").string();
  const auto no_ca = echo(nobody, {"--cacert", missing, "1"});
  EXPECT_EQ(no_ca.exit_code, 2);
  EXPECT_TRUE(contains(no_ca.err, "tls_config")) << no_ca.err;
  EXPECT_TRUE(contains(no_ca.err, missing)) << no_ca.err;

  const auto half = echo(nobody, {"--cert", alice.cert.string(), "1"});
  EXPECT_EQ(half.exit_code, 2);
  EXPECT_TRUE(contains(half.err, "--key")) << half.err;

  const auto help = run_program(bin_dir() / "crous-echo", {"--help"});
  EXPECT_EQ(help.exit_code, 0);
  for (const char* flag : {"--tls", "--cacert", "--cert", "--key", "--servername", "--insecure", "CROUS_CLIENT_TLS_CA_FILE"})
    EXPECT_TRUE(contains(help.out, flag)) << flag << " missing from --help";
}

}  // namespace
}  // namespace crous::test
