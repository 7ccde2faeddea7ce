// The client library and crous-echo over TLS against the real server's TLS
// listener (crous::server in-process, and the crous-server binary): the
// other side of the in-test peer's tests, with the server's own TLS code.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "crous/client/async_client.hpp"
#include "crous/client/client.hpp"
#include "io_helpers.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"
#include "tls_fixtures.hpp"
#include "test_support.hpp"

namespace crous::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::TestPki;

using test::contains;
using test::tls_server;
using Pki = test::TlsPki;

Options tls_client(const Pki& pki, const TestPki::Issued* as = nullptr) {
  Options options{.connect_timeout = 5s, .timeout = 10s};
  options.tls = test::trusting(pki, as);
  return options;
}

TEST(TlsWithTheServer, SyncCallsPipelineAndErrorRecords) {
  Pki pki;
  auto server = tls_server(pki);
  Client client(tls_client(pki));
  client.connect("127.0.0.1", server.tls_port());
  EXPECT_EQ(client.call(Dict{{"op", "ping"}}), Value(Dict{{"pong", true}}));
  constexpr int count = 1000;
  for (int i = 0; i < count; ++i) client.send(Dict{{"id", i}, {"pad", std::string(i % 200, 'p')}});
  client.flush();
  for (int i = 0; i < count; ++i) ASSERT_EQ(client.receive()["id"].as_int(), i);
  try {
    client.call(Dict{{"op", "fail"}, {"user", 7}});
    FAIL() << "expected ServerError";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "not_found");
  }
  EXPECT_EQ(client.call(Value(5)), Value(5)) << "an error record leaves the TLS connection usable";
  client.close();
}

TEST(TlsWithTheServer, AsyncCalls) {
  Pki pki;
  auto server = tls_server(pki);
  asio::io_context io;
  AsyncClient client(io.get_executor(), tls_client(pki));
  int answered = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await client.async_connect("127.0.0.1", server.tls_port(), asio::use_awaitable);
    for (int i = 0; i < 300; ++i) {
      const Value request = Dict{{"id", i}};
      const Value response = co_await client.async_call(request, asio::use_awaitable);
      EXPECT_EQ(response, request);
      ++answered;
    }
    client.close();
  }, test::rethrow_failure);
  test::run_until_idle(io);
  EXPECT_EQ(answered, 300);
}

TEST(TlsWithTheServer, MutualTlsAllowsOnlyTheNamedClients) {
  Pki pki;
  auto server = tls_server(pki, {"alice"});
  Client alice(tls_client(pki, &pki.alice));
  alice.connect("127.0.0.1", server.tls_port());
  EXPECT_EQ(alice.call(Dict{{"op", "ping"}}), Value(Dict{{"pong", true}}));

  // bob's certificate is from the right CA but not allowed; nobody has none.
  for (const TestPki::Issued* who : {static_cast<const TestPki::Issued*>(&pki.bob), static_cast<const TestPki::Issued*>(nullptr)}) {
    Client refused(tls_client(pki, who));
    try {
      refused.connect("127.0.0.1", server.tls_port());
      refused.call(Dict{{"op", "ping"}});
      FAIL() << "expected ClientError";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.code(), ClientErrc::tls_handshake_failed) << e.what();
      // bob: crous-server's alert for a certificate not allowed; nobody:
      // TLS 1.3's certificate_required, met at the first read.
      EXPECT_TRUE(contains(e.what(), who != nullptr ? "refused the client certificate" : "certificate required")) << e.what();
    }
  }
}

TEST(TlsWithTheServer, PlainClientOnTheTlsPortIsToldSo) {
  Pki pki;
  auto server = tls_server(pki);
  Client plain;
  plain.connect("127.0.0.1", server.tls_port());
  try {
    plain.call(Dict{{"op", "ping"}});
    FAIL() << "expected ServerError";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "tls_required") << e.what();
  }
}

TEST(TlsWithTheServer, HealthCheckOverMutualTlsAgainstTheServerBinary) {
  // What docker-compose.yml's TLS profile runs as its health check.
  Pki pki;
  const unsigned short tls_port = test::free_port();
  test::ServerProcess server({"--tls-port", std::to_string(tls_port), "--tls-cert-file", pki.server.cert.string(),
                              "--tls-key-file", pki.server.key.string(), "--tls-ca-file", pki.ca.ca_cert().string(),
                              "--tls-allowed-clients", "alice"});
  const auto echo = test::bin_dir() / "crous-echo";
  const auto flags = test::run_program(echo, {"--port", std::to_string(tls_port), "--cacert", pki.ca.ca_cert().string(),
                                              "--cert", pki.alice.cert.string(), "--key", pki.alice.key.string(),
                                              "--op", "ping", "--quiet", "--timeout", "2000"});
  EXPECT_EQ(flags.exit_code, 0) << flags.err;
  const auto as_bob = test::run_program(echo, {"--port", std::to_string(tls_port), "--cacert", pki.ca.ca_cert().string(),
                                               "--cert", pki.bob.cert.string(), "--key", pki.bob.key.string(),
                                               "--op", "ping", "--quiet", "--timeout", "2000"});
  EXPECT_EQ(as_bob.exit_code, 3) << as_bob.err;
  EXPECT_TRUE(contains(as_bob.err, "tls_handshake_failed")) << as_bob.err;
  EXPECT_EQ(server.stop(), 0) << "crous-server should exit cleanly on SIGTERM";
}

}  // namespace
}  // namespace crous::client
