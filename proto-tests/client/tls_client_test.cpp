// Both clients over TLS, against a real TLS peer on 127.0.0.1 (TlsEchoPeer)
// with certificates made at test time (TestPki): calls and pipelines,
// certificate and name verification, mutual TLS, the close_notify on
// close(), and the errors for every way the setup can be wrong.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <exception>
#include <optional>
#include <string>
#include <vector>

#include "crous/client/async_client.hpp"
#include "crous/client/client.hpp"
#include "io_helpers.hpp"
#include "raw_peer.hpp"
#include "test_pki.hpp"
#include "tls_fixtures.hpp"
#include "test_server.hpp"
#include "tls_peer.hpp"

namespace crous::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;
using test::TestPki;
using test::TlsEchoPeer;

using test::contains;

// TLS options trusting `pki`'s CA, as a client of that PKI's servers.
Options tls_options(const TestPki& pki, TlsOptions tls = {}) {
  tls.enabled = true;
  if (tls.ca_file.empty()) tls.ca_file = pki.ca_cert().string();
  return Options{.connect_timeout = 5s, .timeout = 10s, .tls = tls};
}

TlsEchoPeer::Config peer_config(const TestPki::Issued& server) { return {.cert = server.cert, .key = server.key}; }

// What a synchronous connect + call reports: nullopt when both work.
std::optional<ClientError> sync_failure(unsigned short port, const Options& options, const std::string& host = "127.0.0.1") {
  Client client(options);
  try {
    client.connect(host, port);
    const Value request = Dict{{"id", 1}};
    EXPECT_EQ(client.call(request), request);
  } catch (const ClientError& e) {
    EXPECT_FALSE(client.is_open()) << "a transport error must close the connection";
    return e;
  }
  return std::nullopt;
}

// The same through the asynchronous client: the exception that ended the
// coroutine (connect or call), nullptr when both worked.
std::exception_ptr async_failure(unsigned short port, const Options& options, const std::string& host = "127.0.0.1") {
  asio::io_context io;
  AsyncClient client(io.get_executor(), options);
  std::exception_ptr error;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    const Value request = Dict{{"id", 1}};  // outside co_await: GCC 12 bug with literals there
    co_await client.async_connect(host, port, use_awaitable);
    const Value response = co_await client.async_call(request, use_awaitable);
    EXPECT_EQ(response, request);
    client.close();
  }, [&](std::exception_ptr e) { error = e; });
  test::run_until_idle(io);
  return error;
}

std::string message_of(std::exception_ptr error) {
  try {
    if (error) std::rethrow_exception(error);
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no error)";
}

// Expects both clients to fail with `code`, each message holding `part`.
void expect_both_fail(unsigned short port, const Options& options, ClientErrc code, const std::string& part,
                      const std::string& host = "127.0.0.1") {
  const auto sync = sync_failure(port, options, host);
  ASSERT_TRUE(sync) << "the synchronous client should have failed";
  EXPECT_EQ(sync->code(), code) << sync->what();
  EXPECT_TRUE(contains(sync->what(), part)) << "'" << part << "' not in: " << sync->what();

  const auto async = async_failure(port, options, host);
  EXPECT_EQ(test::client_errc(async), code) << message_of(async);
  EXPECT_TRUE(contains(message_of(async), part)) << "'" << part << "' not in: " << message_of(async);
}

// ---- working connections ----

TEST(TlsClient, SyncCallAndAThousandPipelinedRecords) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  Client client(tls_options(pki));
  client.connect("127.0.0.1", peer.port());
  const Value record = Dict{{"name", "Alice"}, {"raw", Bytes{0, 1, 255}}};
  EXPECT_EQ(client.call(record), record);

  // Large enough in total (~1.1 MB) to span many TLS records and socket
  // buffers, so flush() reads while it writes.
  constexpr int count = 1000;
  for (int i = 0; i < count; ++i) client.send(Dict{{"id", i}, {"payload", std::string(1000 + i % 100, 'x')}});
  client.flush();
  for (int i = 0; i < count; ++i) ASSERT_EQ(client.receive()["id"].as_int(), i);
  EXPECT_EQ(client.outstanding(), 0u);

  client.close();
  EXPECT_FALSE(client.is_open());
  EXPECT_EQ(peer.endings(1), std::vector<std::string>{"close_notify"}) << "close() says goodbye with close_notify";
}

TEST(TlsClient, HugePipelineDoesNotDeadlockOverTls) {
  // 16 MiB in one flush, beyond what the loopback socket buffers hold: the
  // peer stops reading while its echoes are not taken, so flush() must read
  // them through the TLS stream while it writes (one read and one write in
  // flight on the same ssl::stream).
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  Options options = tls_options(pki);
  options.timeout = 30s;
  Client client(options);
  client.connect("127.0.0.1", peer.port());
  constexpr int count = 4096;
  const std::string blob(4096, 'z');
  for (int i = 0; i < count; ++i) client.send(Dict{{"id", i}, {"blob", blob}});
  client.flush();
  for (int i = 0; i < count; ++i) ASSERT_EQ(client.receive()["id"].as_int(), i);
}

TEST(TlsClient, HostNameIsCheckedAgainstTheDnsName) {
  // "localhost" is verified against the certificate's DNS SAN (and sent as
  // SNI), 127.0.0.1 above against its IP SAN.
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  EXPECT_FALSE(sync_failure(peer.port(), tls_options(pki), "localhost"));
  EXPECT_EQ(async_failure(peer.port(), tls_options(pki), "localhost"), nullptr);
}

TEST(TlsClient, DestroyingAConnectedClientAlsoSaysGoodbye) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  {
    Client client(tls_options(pki));
    client.connect("127.0.0.1", peer.port());
    EXPECT_EQ(client.call(Value(7)), Value(7));
  }
  EXPECT_EQ(peer.endings(1), std::vector<std::string>{"close_notify"});
}

TEST(TlsClient, ReconnectMakesAFreshSession) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  Client client(tls_options(pki));
  for (int round = 0; round < 3; ++round) {
    client.connect("127.0.0.1", peer.port());
    EXPECT_EQ(client.call(Value(round)), Value(round));
  }
  client.close();
  EXPECT_EQ(peer.endings(3), (std::vector<std::string>{"close_notify", "close_notify", "close_notify"}));
}

awaitable<void> tls_worker(AsyncClient& client, int worker_id, int calls, int& answered, int total) {
  for (int i = 0; i < calls; ++i) {
    const Value request = Dict{{"worker", worker_id}, {"seq", i}, {"pad", std::string(i % 300, 'p')}};
    const Value response = co_await client.async_call(request, use_awaitable);
    EXPECT_EQ(response, request);
    if (++answered == total) client.close();
  }
}

TEST(TlsClient, AsyncCoroutinesShareOneTlsConnection) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  asio::io_context io;
  AsyncClient client(io.get_executor(), tls_options(pki));
  constexpr int workers = 8;
  constexpr int calls = 200;
  int answered = 0;
  asio::co_spawn(io, [&]() -> awaitable<void> {
    co_await client.async_connect("127.0.0.1", peer.port(), use_awaitable);
    for (int w = 0; w < workers; ++w) asio::co_spawn(io, tls_worker(client, w, calls, answered, workers * calls), test::rethrow_failure);
  }, test::rethrow_failure);
  test::run_until_idle(io);
  EXPECT_EQ(answered, workers * calls);
  EXPECT_EQ(peer.endings(1), std::vector<std::string>{"close_notify"}) << "close() says goodbye with close_notify";
}

TEST(TlsClient, AsyncCallbacksCompleteInOrder) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  asio::io_context io;
  AsyncClient client(io.get_executor(), tls_options(pki));
  static constexpr int count = 1000;  // static: the handlers use it uncaptured
  std::vector<int> order;
  client.async_connect("127.0.0.1", peer.port(), [&](std::exception_ptr error) {
    ASSERT_FALSE(error) << message_of(error);
    for (int i = 0; i < count; ++i) {
      client.async_call(Dict{{"id", i}}, [&order, &client, i](std::exception_ptr call_error, Value response) {
        ASSERT_FALSE(call_error) << message_of(call_error);
        EXPECT_EQ(response["id"].as_int(), i);
        order.push_back(i);
        if (i == count - 1) client.close();
      });
    }
  });
  test::run_until_idle(io);
  ASSERT_EQ(order.size(), std::size_t{count});
  for (int i = 0; i < count; ++i) ASSERT_EQ(order[i], i);
}

// ---- verification ----

TEST(TlsClient, ServerCertificateFromAnotherCaIsRefused) {
  TestPki pki;
  TestPki stranger("another CA");
  TlsEchoPeer peer(peer_config(stranger.issue_server()));
  expect_both_fail(peer.port(), tls_options(pki), ClientErrc::tls_handshake_failed, "certificate verify failed");
  const auto sync = sync_failure(peer.port(), tls_options(pki));
  ASSERT_TRUE(sync);
  EXPECT_TRUE(contains(sync->what(), "127.0.0.1:" + std::to_string(peer.port()) + ": ")) << "names the server: " << sync->what();
  EXPECT_TRUE(contains(sync->what(), "unable to get local issuer certificate")) << "says why: " << sync->what();
  // The peer saw the client refuse it: each attempt ended in its handshake.
  for (const auto& ending : peer.endings(3)) EXPECT_TRUE(contains(ending, "handshake: ")) << ending;
}

TEST(TlsClient, ExpiredServerCertificateIsRefused) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server("localhost", {}, {.valid_for = 1h, .start_offset = -2h})));
  expect_both_fail(peer.port(), tls_options(pki), ClientErrc::tls_handshake_failed, "certificate has expired");
}

TEST(TlsClient, CertificateForAnotherNameIsRefused) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  TlsOptions wrong_name{.server_name = "wrong.example"};
  expect_both_fail(peer.port(), tls_options(pki, wrong_name), ClientErrc::tls_handshake_failed, "hostname mismatch");
  TlsOptions wrong_ip{.server_name = "127.0.0.2"};
  expect_both_fail(peer.port(), tls_options(pki, wrong_ip), ClientErrc::tls_handshake_failed, "IP address mismatch");
}

TEST(TlsClient, ServerNameOptionIsWhatGetsVerified) {
  // The certificate also names "records.example"; connecting by IP while
  // claiming that name works, so server_name (not the host) is checked.
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server("records.example", {"records.example"})));
  TlsOptions named{.server_name = "records.example"};
  EXPECT_FALSE(sync_failure(peer.port(), tls_options(pki, named)));
  EXPECT_EQ(async_failure(peer.port(), tls_options(pki, named)), nullptr);
}

TEST(TlsClient, VerificationTurnedOffExplicitlyAcceptsAnyServer) {
  TestPki pki;
  TestPki stranger("another CA");
  TlsEchoPeer peer(peer_config(stranger.issue_server()));
  // Peer verification off: another CA's certificate, no CA file at all.
  const Options insecure{.tls = {.enabled = true, .server_name = "wrong.example", .verify_peer = false}};
  EXPECT_FALSE(sync_failure(peer.port(), insecure));
  EXPECT_EQ(async_failure(peer.port(), insecure), nullptr);
  // Name check off alone: the chain must still be trusted...
  TlsOptions any_name{.server_name = "wrong.example", .verify_hostname = false};
  expect_both_fail(peer.port(), tls_options(pki, any_name), ClientErrc::tls_handshake_failed, "certificate verify failed");
  // ...and then any name goes.
  any_name.ca_file = stranger.ca_cert().string();
  EXPECT_FALSE(sync_failure(peer.port(), tls_options(stranger, any_name)));
}

// ---- mutual TLS ----

TlsEchoPeer::Config mutual(TestPki& pki, bool tls12_only = false) {
  auto config = peer_config(pki.issue_server());
  config.client_ca = pki.ca_cert();
  config.tls12_only = tls12_only;
  return config;
}

TEST(TlsClient, ClientCertificateIsPresented) {
  TestPki pki;
  TlsEchoPeer peer(mutual(pki));
  const auto alice = pki.issue_client("alice");
  TlsOptions tls{.cert_file = alice.cert.string(), .key_file = alice.key.string()};
  EXPECT_FALSE(sync_failure(peer.port(), tls_options(pki, tls)));
  EXPECT_EQ(async_failure(peer.port(), tls_options(pki, tls)), nullptr);
  EXPECT_EQ(peer.client_names(), (std::vector<std::string>{"alice", "alice"}));
}

TEST(TlsClient, MissingClientCertificateIsAHandshakeFailureAtTheFirstReadInTls13) {
  // TLS 1.3: the client's handshake completes before the server has
  // judged its (empty) certificate; the refusal is the alert its first
  // read meets.
  TestPki pki;
  TlsEchoPeer peer(mutual(pki));
  Client client(tls_options(pki));
  client.connect("127.0.0.1", peer.port());
  try {
    client.call(Dict{{"id", 1}});
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::tls_handshake_failed) << e.what();
    EXPECT_TRUE(contains(e.what(), "certificate required")) << e.what();
    EXPECT_TRUE(contains(e.what(), "cert_file")) << "says what to do: " << e.what();
  }
  EXPECT_FALSE(client.is_open());

  const auto async = async_failure(peer.port(), tls_options(pki));
  EXPECT_EQ(test::client_errc(async), ClientErrc::tls_handshake_failed) << message_of(async);
  EXPECT_TRUE(contains(message_of(async), "certificate required")) << message_of(async);
  for (const auto& ending : peer.endings(2)) EXPECT_TRUE(contains(ending, "handshake: ")) << ending;
}

TEST(TlsClient, MissingClientCertificateFailsTheHandshakeInTls12) {
  TestPki pki;
  TlsEchoPeer peer(mutual(pki, /*tls12_only=*/true));
  expect_both_fail(peer.port(), tls_options(pki), ClientErrc::tls_handshake_failed, "handshake failure");
}

TEST(TlsClient, ClientCertificateTheServerDoesNotTrustIsRefused) {
  TestPki pki;
  TestPki stranger("another CA");
  TlsEchoPeer peer(mutual(pki));
  const auto mallory = stranger.issue_client("mallory");
  const TlsOptions tls{.cert_file = mallory.cert.string(), .key_file = mallory.key.string()};
  expect_both_fail(peer.port(), tls_options(pki, tls), ClientErrc::tls_handshake_failed,
                   "the server refused the client certificate");
  const auto sync = sync_failure(peer.port(), tls_options(pki, tls));
  ASSERT_TRUE(sync);
  EXPECT_TRUE(contains(sync->what(), "unknown ca")) << "OpenSSL's reason: " << sync->what();
}

TEST(TlsClient, ExpiredClientCertificateIsRefused) {
  TestPki pki;
  TlsEchoPeer peer(mutual(pki));
  const auto expired = pki.issue_client("old", 1h, -2h);
  const TlsOptions tls{.cert_file = expired.cert.string(), .key_file = expired.key.string()};
  expect_both_fail(peer.port(), tls_options(pki, tls), ClientErrc::tls_handshake_failed, "certificate expired");
}

// ---- configuration errors ----

TEST(TlsClient, UnusableFilesAreTlsConfigErrorsNamingTheFile) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  const auto alice = pki.issue_client("alice");
  const auto bob = pki.issue_client("bob");
  const std::string missing = (pki.dir() / "no-such-ca.pem").string();
  const std::string garbage = pki.write_file("garbage.pem", "this is not PEM\n").string();
  const std::string other_key = pki.unrelated_key().string();

  struct Case {
    const char* name;
    TlsOptions tls;
    std::string named;  // the file the message must name
  };
  const Case cases[] = {
      {"missing CA file", {.ca_file = missing}, missing + "': No such file or directory"},
      {"CA file not PEM", {.ca_file = garbage}, garbage},
      {"certificate not PEM", {.cert_file = garbage, .key_file = alice.key.string()}, garbage},
      {"key not PEM", {.cert_file = alice.cert.string(), .key_file = garbage}, garbage},
      {"key of another certificate", {.cert_file = alice.cert.string(), .key_file = bob.key.string()},
       "key file '" + bob.key.string() + "' does not match certificate '" + alice.cert.string() + "'"},
      {"key of no certificate", {.cert_file = alice.cert.string(), .key_file = other_key},
       "key file '" + other_key + "' does not match"},
      {"certificate without key", {.cert_file = alice.cert.string()}, "key_file"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    expect_both_fail(peer.port(), tls_options(pki, c.tls), ClientErrc::tls_config, c.named);
  }
  // None of them reached the wire: the first connection the peer sees end
  // is the good one made now.
  Client good(tls_options(pki));
  good.connect("127.0.0.1", peer.port());
  good.close();
  EXPECT_EQ(peer.endings(1), std::vector<std::string>{"close_notify"});
}

TEST(TlsClient, LaterCallsSayTheConfigWasTheProblem) {
  TestPki pki;
  TlsEchoPeer peer(peer_config(pki.issue_server()));
  Client broken(tls_options(pki, {.ca_file = (pki.dir() / "missing.pem").string()}));
  EXPECT_THROW(broken.connect("127.0.0.1", peer.port()), ClientError);
  try {
    broken.call(Value(1));
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::not_connected);
    EXPECT_TRUE(contains(e.what(), "tls_config")) << "says why: " << e.what();
  }
}

// ---- the wrong kind of server, or none answering ----

TEST(TlsClient, PlainServerIsAHandshakeFailure) {
  test::TestServer plain;
  const auto sync = sync_failure(plain.port(), Options{.tls = {.enabled = true, .verify_peer = false}});
  ASSERT_TRUE(sync);
  EXPECT_EQ(sync->code(), ClientErrc::tls_handshake_failed) << sync->what();
  const auto async = async_failure(plain.port(), Options{.tls = {.enabled = true, .verify_peer = false}});
  EXPECT_EQ(test::client_errc(async), ClientErrc::tls_handshake_failed) << message_of(async);
}

TEST(TlsClient, SilentServerTimesOutInTheHandshake) {
  // Accepts, never answers the ClientHello: the connect timeout covers the
  // handshake, and the message says it was the handshake that took long.
  const Options options{.connect_timeout = 300ms, .tls = {.enabled = true, .verify_peer = false}};
  for (int client = 0; client < 2; ++client) {
    test::RawPeer silent([](int fd) { test::RawPeer::wait_for_close(fd); });
    const auto start = Clock::now();
    std::optional<ClientErrc> code;
    std::string message;
    if (client == 0) {
      if (const auto sync = sync_failure(silent.port(), options)) {
        code = sync->code();
        message = sync->what();
      }
    } else {
      const auto async = async_failure(silent.port(), options);
      code = test::client_errc(async);
      message = message_of(async);
    }
    const auto took = Clock::now() - start;
    EXPECT_EQ(code, ClientErrc::timeout) << message;
    EXPECT_TRUE(contains(message, "TLS handshake")) << message;
    EXPECT_GE(took, 300ms);
    EXPECT_LT(took, 5s);
  }
}

}  // namespace
}  // namespace crous::client
