// TLS on the server: the record protocol over TLS, mutual TLS, version
// floor, wrong-protocol clients, handshake timeout, certificate rotation on
// SIGHUP, drain. Certificates are made at test time (TestPki); the clients
// are OpenSSL over POSIX sockets (tls_test_client) and the `openssl`
// command, so nothing here shares the server's TLS code.
#include <gtest/gtest.h>
#include <openssl/ssl.h>

#include <signal.h>

#include <csignal>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>
#include <thread>
#include <vector>

#include "crous/flux.hpp"
#include "server_test_util.hpp"
#include "test_pki.hpp"
#include "test_support.hpp"
#include "tls_test_client.hpp"

namespace crous::test {
namespace {

namespace fs = std::filesystem;

// One CA, a server certificate and a client "alice" for every test.
struct Pki {
  TestPki ca;
  TestPki::Issued server = ca.issue_server();
  TestPki::Issued alice = ca.issue_client("alice");
};

server::Options tls_options(const Pki& pki) {
  server::Options o = test_options();
  o.tls_port = 0;
  o.tls_cert_file = pki.server.cert.string();
  o.tls_key_file = pki.server.key.string();
  return o;
}

TlsClientOptions trusting(const Pki& pki) { return {.ca_file = pki.ca.ca_cert().string()}; }

TlsClientOptions as(const Pki& pki, const TestPki::Issued& who) {
  TlsClientOptions o = trusting(pki);
  o.cert_file = who.cert.string();
  o.key_file = who.key.string();
  return o;
}

Bytes numbered(int from, int count, std::size_t pad = 100) {
  Bytes wire;
  for (int i = from; i < from + count; ++i) encode_flux(Dict{{"id", i}, {"pad", std::string(pad, 'p')}}, wire);
  return wire;
}

std::uint64_t handshake_failures(TestServer& s) { return s.server().stats().tls_handshake_failures; }

TEST(Tls, EchoAndPipelinedRecordsOverTwentyConnectionsAnswerInOrder) {
  Pki pki;
  TestServer server(tls_options(pki));
  ASSERT_NE(server.server().tls_port(), 0);
  constexpr int kConnections = 20;
  constexpr int kPerConnection = 500;  // 10,000 records in all
  std::vector<std::unique_ptr<TlsClient>> clients;
  for (int c = 0; c < kConnections; ++c) {
    clients.push_back(std::make_unique<TlsClient>(server.server().tls_port(), trusting(pki)));
    clients.back()->connect();
  }
  for (auto& c : clients) c->send_bytes(numbered(0, kPerConnection));
  for (auto& c : clients)
    for (int i = 0; i < kPerConnection; ++i) {
      Value v = c->read();
      ASSERT_EQ(v["id"], Value(i)) << "out of order";
      ASSERT_EQ(v["pad"].as_string().size(), 100u);
    }
  const auto stats = server.server().stats();
  EXPECT_EQ(stats.records_in, std::uint64_t{kConnections * kPerConnection});
  EXPECT_EQ(stats.tls_handshake_failures, 0u);
}

TEST(Tls, InfoSaysTlsIsOnAndWhetherClientCertificatesAreRequired) {
  Pki pki;
  auto options = tls_options(pki);
  options.tls_ca_file = pki.ca.ca_cert().string();
  TestServer server(options);
  TlsClient c(server.server().tls_port(), as(pki, pki.alice));
  c.connect();
  c.send(Dict{{"op", "info"}});
  Value info = c.read();
  EXPECT_EQ(info["tls"]["enabled"], Value(true));
  EXPECT_EQ(info["tls"]["client_certificates_required"], Value(true));
  EXPECT_EQ(info["tls"]["min_version"], Value("1.2"));
}

TEST(Tls, MutualTlsServesOnlyVerifiedAllowedClients) {
  Pki pki;
  TestPki other_ca("another CA");
  auto stranger = other_ca.issue_client("alice");  // right name, wrong CA
  auto expired = pki.ca.issue_client("alice", std::chrono::hours(1), -std::chrono::hours(2));  // ended an hour ago
  auto mallory = pki.ca.issue_client("mallory");  // right CA, name not allowed
  auto options = tls_options(pki);
  options.tls_ca_file = pki.ca.ca_cert().string();
  options.tls_allowed_clients = {"alice", "bob"};
  TestServer server(options);
  const auto port = server.server().tls_port();

  // A client served throughout: the refusals below must not disturb it.
  TlsClient steady(port, as(pki, pki.alice));
  steady.connect();

  std::string why;
  EXPECT_FALSE(tls_ping(port, trusting(pki), &why)) << "no client certificate was served";
  EXPECT_FALSE(tls_ping(port, as(pki, stranger), &why)) << "a certificate from another CA was served";
  EXPECT_FALSE(tls_ping(port, as(pki, expired), &why)) << "an expired certificate was served";
  EXPECT_FALSE(tls_ping(port, as(pki, mallory), &why)) << "a client not in tls_allowed_clients was served";
  EXPECT_TRUE(eventually([&] { return handshake_failures(server) == 4; })) << handshake_failures(server);

  EXPECT_TRUE(tls_ping(port, as(pki, pki.alice), &why)) << why;
  steady.send(Dict{{"op", "ping"}});
  EXPECT_EQ(steady.read()["pong"], Value(true));
  EXPECT_EQ(handshake_failures(server), 4u);
}

TEST(Tls, ClientsBelowTheMinimumVersionAreRefused) {
  Pki pki;
  TestServer server(tls_options(pki));  // minimum 1.2
  const auto port = server.server().tls_port();
  TlsClientOptions tls11 = trusting(pki);
  tls11.min_version = tls11.max_version = TLS1_1_VERSION;
  tls11.allow_legacy = true;
  std::string why;
  EXPECT_FALSE(tls_ping(port, tls11, &why));
  EXPECT_NE(why.find("handshake"), std::string::npos) << why;

  auto options13 = tls_options(pki);
  options13.tls_min_version = config::TlsVersion::v1_3;
  TestServer server13(options13);
  TlsClientOptions tls12 = trusting(pki);
  tls12.max_version = TLS1_2_VERSION;
  EXPECT_FALSE(tls_ping(server13.server().tls_port(), tls12, &why));
  EXPECT_TRUE(tls_ping(server13.server().tls_port(), trusting(pki), &why)) << why;
  EXPECT_TRUE(eventually([&] { return handshake_failures(server) == 1 && handshake_failures(server13) == 1; }));
}

TEST(Tls, PlainClientOnTheTlsPortGetsTlsRequiredInTheClear) {
  Pki pki;
  TestServer server(tls_options(pki));
  Client plain(server.server().tls_port());
  plain.send(Dict{{"op", "ping"}});
  EXPECT_EQ(error_code_of(plain.read()), "tls_required");
  EXPECT_TRUE(plain.closed_without_more_data());
  EXPECT_EQ(handshake_failures(server), 1u);
  std::string why;
  EXPECT_TRUE(tls_ping(server.server().tls_port(), trusting(pki), &why)) << why;
}

TEST(Tls, TlsClientOnThePlainPortFailsCleanlyAndTheServerStaysHealthy) {
  Pki pki;
  TestServer server(tls_options(pki));
  std::string why;
  EXPECT_FALSE(tls_ping(server.port(), trusting(pki), &why));
  // The ClientHello is not FLUX: a decode error, answered in the clear.
  EXPECT_TRUE(eventually([&] { return server.server().stats().decode_errors == 1; }));
  Client plain(server.port());
  plain.send(Dict{{"op", "ping"}});
  EXPECT_EQ(plain.read()["pong"], Value(true));
}

TEST(Tls, SilentClientOnTheTlsPortIsClosedAfterHandshakeTimeout) {
  Pki pki;
  auto options = tls_options(pki);
  options.handshake_timeout = std::chrono::milliseconds(300);
  options.idle_timeout = std::chrono::seconds(60);
  TestServer server(options);
  Client silent(server.server().tls_port());
  const auto start = std::chrono::steady_clock::now();
  EXPECT_TRUE(silent.closed_without_more_data(5s));
  EXPECT_LT(std::chrono::steady_clock::now() - start, 3s);
  EXPECT_TRUE(eventually([&] { return handshake_failures(server) == 1; }));
}

TEST(Tls, ProtocolErrorsAreAnsweredThenClosedWithCloseNotify) {
  Pki pki;
  auto options = tls_options(pki);
  options.max_record_bytes = 4096;
  TestServer server(options);
  TlsClient c(server.server().tls_port(), trusting(pki));
  c.connect();
  c.send(Dict{{"op", "ping"}});
  c.send(Dict{{"big", std::string(10'000, 'x')}});
  EXPECT_EQ(c.read()["pong"], Value(true));
  EXPECT_EQ(error_code_of(c.read()), "record_too_large");
  Value v;
  EXPECT_EQ(c.next(v), TlsClient::Next::close_notify) << c.last_error();

  TlsClient garbage(server.server().tls_port(), trusting(pki));
  garbage.connect();
  garbage.send_bytes({'F', 'L', 'U', 'X', 1, 0, 0xee});
  EXPECT_EQ(error_code_of(garbage.read()), "decode_error");
  EXPECT_EQ(garbage.next(v), TlsClient::Next::close_notify) << garbage.last_error();
}

TEST(Tls, BackpressureHoldsAndEveryResponseArrivesWhenTheClientReadsLate) {
  Pki pki;
  auto options = tls_options(pki);
  options.high_watermark = 64 * 1024;
  TestServer server(options);
  TlsClient c(server.server().tls_port(), trusting(pki));
  c.connect();
  constexpr int kRecords = 20'000;  // ~2.4 MB of responses against a 64 KiB watermark
  c.send_bytes(numbered(0, kRecords));
  for (int i = 0; i < kRecords; ++i) ASSERT_EQ(c.read()["id"], Value(i));
  EXPECT_LE(server.server().stats().output_pending_bytes, options.high_watermark + 16 * 1024);
}

// The `openssl s_client` command as the peer, sending records the original
// implementation wrote (golden files): each comes back as the same value.
TEST(Tls, OpensslSClientPipingGoldenFluxRecordsIsAnswered) {
  Pki pki;
  TestServer server(tls_options(pki));
  std::vector<std::string> names = {"dict_empty", "float_1_5", "bytes_small", "deep_list_100", "big_list_3000"};
  Bytes wire;
  std::vector<Value> expected;
  for (const auto& name : names) {
    auto bytes = read_file(golden_dir() / "valid" / (name + ".flux"));
    expected.push_back(decode_flux(bytes));
    wire.insert(wire.end(), bytes.begin(), bytes.end());
  }
  const fs::path dir = temp_dir("sclient");
  write_file(dir / "in.flux", wire);
  // s_client -quiet keeps the connection open after its input ends, so it
  // runs in the background until every response is in (or 20 s), then is
  // stopped.
  const std::string cmd = "timeout 20 openssl s_client -quiet -connect 127.0.0.1:" +
                          std::to_string(server.server().tls_port()) + " -CAfile '" + pki.ca.ca_cert().string() +
                          "' -verify_return_error -servername localhost < '" + (dir / "in.flux").string() + "' > '" +
                          (dir / "out.flux").string() + "' 2>'" + (dir / "err.txt").string() + "' & echo $! > '" +
                          (dir / "pid").string() + "'";
  ASSERT_EQ(std::system(cmd.c_str()), 0);
  auto responses = [&] {
    RecordBuffer framing;
    std::error_code ec;
    if (!fs::exists(dir / "out.flux", ec)) return std::vector<Value>{};  // the shell has not started it yet
    framing.append(read_file(dir / "out.flux"));
    std::vector<Value> out;
    while (auto record = framing.next()) out.push_back(decode_flux(*record));
    return out;
  };
  eventually([&] { return responses().size() >= expected.size(); }, 20s);
  ::kill(std::stoi(read_text(dir / "pid")), SIGTERM);
  const auto got = responses();
  ASSERT_EQ(got.size(), expected.size()) << "s_client said: " << read_text(dir / "err.txt");
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(got[i], expected[i]) << names[i];
}

TEST(Tls, BadTlsFilesStopTheServerBeforeItStartsNamingTheFile) {
  Pki pki;
  TestPki other("other");
  auto other_server = other.issue_server();
  auto options = tls_options(pki);
  options.tls_cert_file = "/nonexistent/server.crt";
  try {
    server::Server s(options);
    ADD_FAILURE() << "a missing certificate was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("tls_cert_file"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("/nonexistent/server.crt"), std::string::npos) << e.what();
  }
  options = tls_options(pki);
  options.tls_key_file = other_server.key.string();  // a key, but not this certificate's
  try {
    server::Server s(options);
    ADD_FAILURE() << "a key not matching the certificate was accepted";
  } catch (const std::invalid_argument& e) {
    EXPECT_NE(std::string(e.what()).find("does not match"), std::string::npos) << e.what();
  }
  options = tls_options(pki);
  options.tls_cert_file.clear();
  EXPECT_THROW(server::Server{options}, std::invalid_argument);
}

// SIGHUP rotation, on the real binary: connections opened before keep
// working, new ones get the new certificate, a broken one changes nothing.
TEST(Tls, SighupRotatesTheCertificateWithoutDroppingConnections) {
  Pki pki;
  const fs::path dir = pki.ca.dir() / "live";
  fs::create_directories(dir);
  fs::copy_file(pki.server.cert, dir / "server.crt");
  fs::copy_file(pki.server.key, dir / "server.key");
  ServerProcess proc({"--port", "0", "--tls-port", "0", "--tls-cert-file", (dir / "server.crt").string(),
                      "--tls-key-file", (dir / "server.key").string(), "--threads", "2"});
  const std::uint16_t tls_port = proc.tls_port();
  ASSERT_NE(tls_port, 0);

  TlsClient before(tls_port, trusting(pki));
  before.connect();
  const std::string old_print = before.server_certificate_fingerprint();

  auto renewed = pki.ca.issue_server();
  fs::copy_file(renewed.cert, dir / "server.crt", fs::copy_options::overwrite_existing);
  fs::copy_file(renewed.key, dir / "server.key", fs::copy_options::overwrite_existing);
  proc.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return proc.log().find("TLS material reloaded") != std::string::npos; })) << proc.log();

  before.send(Dict{{"op", "ping"}});
  EXPECT_EQ(before.read()["pong"], Value(true));
  TlsClient after(tls_port, trusting(pki));
  after.connect();
  const std::string new_print = after.server_certificate_fingerprint();
  EXPECT_NE(new_print, old_print);

  // A broken certificate: the reload fails and the renewed one stays.
  std::ofstream(dir / "server.crt", std::ios::trunc) << "not a certificate\n";
  proc.signal(SIGHUP);
  ASSERT_TRUE(eventually([&] { return proc.log().find("TLS reload failed") != std::string::npos; })) << proc.log();
  EXPECT_NE(proc.log().find("tls_cert_file"), std::string::npos) << proc.log();
  TlsClient later(tls_port, trusting(pki));
  later.connect();
  EXPECT_EQ(later.server_certificate_fingerprint(), new_print);
  for (TlsClient* c : {&before, &after, &later}) {
    c->send(Dict{{"op", "ping"}});
    EXPECT_EQ(c->read()["pong"], Value(true));
  }
  // A failed handshake is a warning naming the peer and the reason.
  {
    Client garbage(tls_port);
    garbage.send_bytes(std::vector<std::uint8_t>(64, 'x'));
    EXPECT_TRUE(garbage.closed_without_more_data());
  }
  ASSERT_TRUE(eventually([&] { return proc.log().find("TLS handshake failed from 127.0.0.1:") != std::string::npos; }))
      << proc.log();
  EXPECT_NE(proc.log().find("wrong version number"), std::string::npos) << proc.log();
  proc.signal(SIGTERM);
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
}

TEST(Tls, SigtermDuringAPipelinedTlsBurstAnswersEveryRecordSent) {
  Pki pki;
  ServerProcess proc({"--port", "off", "--tls-port", "0", "--tls-cert-file", pki.server.cert.string(),
                      "--tls-key-file", pki.server.key.string(), "--threads", "2"});
  TlsClient c(proc.tls_port(), trusting(pki));
  c.connect();
  constexpr int kRecords = 50'000;
  c.send_bytes(numbered(0, 1, 20));
  ASSERT_EQ(c.read()["id"], Value(0));
  proc.signal(SIGTERM);
  c.send_bytes(numbered(1, kRecords - 1, 20));
  int answered = 1;
  for (;;) {
    Value v;
    auto r = c.next(v, 15s);
    if (r != TlsClient::Next::record) {
      EXPECT_EQ(r, TlsClient::Next::close_notify) << c.last_error();
      break;
    }
    ASSERT_EQ(v["id"], Value(answered)) << "out of order";
    ++answered;
  }
  EXPECT_EQ(answered, kRecords) << proc.log();
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
}

}  // namespace
}  // namespace crous::test
