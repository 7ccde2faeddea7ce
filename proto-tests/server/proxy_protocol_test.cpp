// proxy_protocol: the PROXY protocol v2 header a load balancer (HAProxy's
// send-proxy-v2) puts before everything else on a connection. The parser on
// its own (bytes split anywhere, every way a header can be wrong), then the
// server over real sockets: which address per-IP limits and logs see, the
// LOCAL command, refused connections, the deadline, the option off, TLS.
// Headers are built here byte by byte from the specification, not with the
// server's parser.
#include <arpa/inet.h>
#include <gtest/gtest.h>
#include <signal.h>

#include <cstring>
#include <regex>
#include <string>
#include <vector>

#include "crous/flux.hpp"
#include "proxy_header.hpp"
#include "server_test_util.hpp"
#include "test_pki.hpp"
#include "tls_test_client.hpp"

namespace crous::test {
namespace {

using server::detail::ProxyHeader;
using State = ProxyHeader::State;

constexpr std::uint8_t kSignature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

// Signature, version 2 + command, family + transport, length, payload.
Bytes header(std::uint8_t command, std::uint8_t family_transport, const Bytes& payload) {
  Bytes out(kSignature, kSignature + sizeof kSignature);
  out.push_back(static_cast<std::uint8_t>(0x20 | command));
  out.push_back(family_transport);
  out.push_back(static_cast<std::uint8_t>(payload.size() >> 8));
  out.push_back(static_cast<std::uint8_t>(payload.size() & 0xff));
  out.insert(out.end(), payload.begin(), payload.end());
  return out;
}

void put_port(Bytes& out, std::uint16_t port) {
  out.push_back(static_cast<std::uint8_t>(port >> 8));
  out.push_back(static_cast<std::uint8_t>(port & 0xff));
}

// A PROXY command over TCP/IPv4 from source to destination, then `tlvs`.
Bytes proxy_v4(const char* source, std::uint16_t source_port, const Bytes& tlvs = {}) {
  Bytes payload(8);
  ::inet_pton(AF_INET, source, payload.data());
  ::inet_pton(AF_INET, "192.0.2.1", payload.data() + 4);
  put_port(payload, source_port);
  put_port(payload, 7878);
  payload.insert(payload.end(), tlvs.begin(), tlvs.end());
  return header(0x1, 0x11, payload);
}

Bytes proxy_v6(const char* source, std::uint16_t source_port) {
  Bytes payload(32);
  ::inet_pton(AF_INET6, source, payload.data());
  ::inet_pton(AF_INET6, "2001:db8::1", payload.data() + 16);
  put_port(payload, source_port);
  put_port(payload, 7878);
  return header(0x1, 0x21, payload);
}

// What HAProxy sends on its health checks: LOCAL, no addresses.
Bytes local_header() { return header(0x0, 0x00, {}); }

Bytes concat(Bytes a, const Bytes& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

Bytes ping() { return encode_flux(Dict{{"op", "ping"}}); }
const Value kPong = Dict{{"pong", true}};

// Feeds `bytes` in pieces of at most `piece`, never more than room().
State feed(ProxyHeader& h, const Bytes& bytes, std::size_t piece, std::size_t* taken = nullptr) {
  std::size_t at = 0;
  while (h.state() == State::reading && at < bytes.size()) {
    auto room = h.room();
    const std::size_t n = std::min({piece, room.size(), bytes.size() - at});
    std::memcpy(room.data(), bytes.data() + at, n);
    at += n;
    h.commit(n);
  }
  if (taken) *taken = at;
  return h.state();
}

// ---- the parser ----

TEST(ProxyHeader, ReadsIpv4AndIpv6SourcesSplitAnywhereAndTakesNothingPastTheHeader) {
  const Bytes after = ping();
  for (std::size_t piece : {1u, 3u, 16u, 1000u}) {
    ProxyHeader v4;
    std::size_t taken = 0;
    const Bytes v4_header = proxy_v4("203.0.113.7", 4242);
    ASSERT_EQ(feed(v4, concat(v4_header, after), piece, &taken), State::done) << v4.error();
    EXPECT_EQ(taken, v4_header.size()) << "read past the header";
    ASSERT_TRUE(v4.source());
    EXPECT_EQ(v4.source()->address().to_string(), "203.0.113.7");
    EXPECT_EQ(v4.source()->port(), 4242);
    EXPECT_FALSE(v4.local());

    ProxyHeader v6;
    ASSERT_EQ(feed(v6, concat(proxy_v6("2001:db8::7", 5353), after), piece, &taken), State::done) << v6.error();
    EXPECT_EQ(taken, 16u + 36u);
    ASSERT_TRUE(v6.source());
    EXPECT_EQ(v6.source()->address().to_string(), "2001:db8::7");
    EXPECT_EQ(v6.source()->port(), 5353);
  }
}

TEST(ProxyHeader, LocalUnspecifiedAndTlvsAreAcceptedWithoutASource) {
  ProxyHeader local;
  EXPECT_EQ(feed(local, local_header(), 100), State::done);
  EXPECT_TRUE(local.local());
  EXPECT_FALSE(local.source());

  // LOCAL may carry addresses; they are ignored.
  ProxyHeader local_with_addresses;
  Bytes v4 = proxy_v4("203.0.113.7", 1);
  v4[12] = 0x20;
  EXPECT_EQ(feed(local_with_addresses, v4, 100), State::done);
  EXPECT_FALSE(local_with_addresses.source());

  ProxyHeader unspec;
  EXPECT_EQ(feed(unspec, header(0x1, 0x00, {}), 100), State::done);
  EXPECT_FALSE(unspec.local());
  EXPECT_FALSE(unspec.source());

  // TLVs after the addresses (a NOOP of 5 bytes, an authority) are skipped.
  const Bytes tlvs = {0x04, 0x00, 0x05, 0, 0, 0, 0, 0, 0x02, 0x00, 0x03, 'a', 'b', 'c'};
  ProxyHeader with_tlvs;
  std::size_t taken = 0;
  const Bytes h = proxy_v4("198.51.100.9", 80, tlvs);
  EXPECT_EQ(feed(with_tlvs, concat(h, ping()), 7, &taken), State::done) << with_tlvs.error();
  EXPECT_EQ(taken, h.size());
  EXPECT_EQ(with_tlvs.source()->address().to_string(), "198.51.100.9");

  // The largest header accepted: the whole payload allowance.
  ProxyHeader largest;
  Bytes big(ProxyHeader::max_payload, 0);
  EXPECT_EQ(feed(largest, header(0x1, 0x31, big), 4096), State::done) << largest.error();
}

TEST(ProxyHeader, WhatIsNotAHeaderIsRefusedAsSoonAsItShowsAndSaysWhy) {
  const struct {
    Bytes bytes;
    std::size_t refused_after;  // bytes taken when it becomes invalid
    const char* says;
  } cases[] = {
      {encode_flux(Dict{{"op", "ping"}}), 1, "a Crous record without a PROXY header"},
      {Bytes{'P', 'R', 'O', 'X', 'Y', ' ', 'T', 'C', 'P', '4', ' '}, 1, "PROXY protocol v1"},
      {Bytes{0x16, 0x03, 0x01, 0x02, 0x00}, 1, "a TLS handshake without a PROXY header"},
      {Bytes{0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x58}, 10, "not the PROXY protocol v2 signature"},
  };
  for (const auto& c : cases) {
    ProxyHeader h;
    std::size_t taken = 0;
    EXPECT_EQ(feed(h, c.bytes, 1, &taken), State::invalid);
    EXPECT_EQ(taken, c.refused_after) << c.says;
    EXPECT_NE(h.error().find(c.says), std::string::npos) << h.error();
  }
}

TEST(ProxyHeader, ABadFixedPartIsRefusedBeforeItsPayloadIsAwaited) {
  auto refused = [](Bytes bytes, const char* says) {
    ProxyHeader h;
    std::size_t taken = 0;
    EXPECT_EQ(feed(h, bytes, 1, &taken), State::invalid) << says;
    EXPECT_EQ(taken, ProxyHeader::fixed_size) << says;
    EXPECT_NE(h.error().find(says), std::string::npos) << h.error();
  };
  const struct {
    std::size_t at;  // the byte changed in an IPv4 PROXY header
    std::uint8_t to;
    const char* says;
  } changes[] = {
      {12, 0x11, "version 1"},
      {12, 0x22, "unknown command 2"},
      {13, 0x41, "unknown address family 4"},
      {13, 0x12, "datagram"},
      {13, 0x21, "fewer than its address family needs (36)"},  // IPv6 needs 36 bytes, 12 declared
  };
  for (const auto& change : changes) {
    Bytes changed = proxy_v4("203.0.113.7", 1);
    changed[change.at] = change.to;
    refused(changed, change.says);
  }
  Bytes too_long = header(0x1, 0x11, {});
  too_long[14] = 0xff;
  too_long[15] = 0xff;
  refused(too_long, "declares 65535 bytes");
}

// ---- the server, over real sockets ----

server::Options proxied_options(std::size_t per_ip = 0) {
  server::Options o = test_options();
  o.proxy_protocol = true;
  o.max_connections_per_ip = per_ip;
  return o;
}

// A connection that says it comes from `header`, then pings.
std::unique_ptr<Client> proxied_client(std::uint16_t port, const Bytes& header) {
  auto c = std::make_unique<Client>(port);
  c->send_bytes(concat(header, ping()));
  return c;
}

TEST(ProxyProtocol, PerIpLimitsCountTheAddressTheHeaderNamesNotTheProxy) {
  TestServer server(proxied_options(1));
  // Every socket comes from 127.0.0.1 (the "proxy"); the clients differ.
  auto a = proxied_client(server.port(), proxy_v4("203.0.113.7", 1000));
  auto b = proxied_client(server.port(), proxy_v4("203.0.113.8", 1000));
  auto c = proxied_client(server.port(), proxy_v6("2001:db8::7", 1000));
  EXPECT_EQ(a->read(), kPong);
  EXPECT_EQ(b->read(), kPong);
  EXPECT_EQ(c->read(), kPong);
  // A second connection of a client already connected is over its limit.
  auto a_again = proxied_client(server.port(), proxy_v4("203.0.113.7", 1001));
  expect_refused_as_busy(*a_again);
  auto c_again = proxied_client(server.port(), proxy_v6("2001:db8::7", 1001));
  expect_refused_as_busy(*c_again);
  EXPECT_EQ(server.server().stats().connections_rejected, 2u);
  a_again.reset();
  c_again.reset();
  // Closing gives the count back to the client's address.
  a.reset();
  ASSERT_TRUE(eventually([&] { return server.server().stats().connections_open == 2; }));
  auto a_later = proxied_client(server.port(), proxy_v4("203.0.113.7", 1002));
  EXPECT_EQ(a_later->read(), kPong);
  EXPECT_EQ(server.server().stats().proxy_header_failures, 0u);
}

TEST(ProxyProtocol, TheLocalCommandIsTheProxysOwnConnectionAndCountsAsItsAddress) {
  TestServer server(proxied_options(1));
  auto check = proxied_client(server.port(), local_header());
  EXPECT_EQ(check->read(), kPong);
  // The proxy itself (127.0.0.1) now has its one connection.
  auto second = proxied_client(server.port(), local_header());
  expect_refused_as_busy(*second);
  // Clients through the same proxy are not affected.
  auto client = proxied_client(server.port(), proxy_v4("203.0.113.7", 1000));
  EXPECT_EQ(client->read(), kPong);
}

TEST(ProxyProtocol, ConnectionsWithoutAValidHeaderAreClosedUnanswered) {
  TestServer server(proxied_options());
  Bytes version3 = proxy_v4("203.0.113.7", 1);
  version3[12] = 0x31;
  const std::vector<Bytes> bad = {
      ping(),                                                   // a client past the proxy
      Bytes{'P', 'R', 'O', 'X', 'Y', ' ', 'T', 'C', 'P', '4'},  // v1
      version3,
  };
  for (const Bytes& bytes : bad) {
    Client c(server.port());
    c.send_bytes(bytes);
    EXPECT_TRUE(c.closed_without_more_data());
  }
  // Truncated: the peer closes halfway through the header.
  {
    Client c(server.port());
    const Bytes h = proxy_v4("203.0.113.7", 1);
    c.send_bytes(h.data(), 20);
    c.shutdown_write();
    EXPECT_TRUE(c.closed_without_more_data());
  }
  ASSERT_TRUE(eventually([&] { return server.server().stats().proxy_header_failures == bad.size() + 1; }))
      << server.server().stats().proxy_header_failures;
  // A port probe (connect, close) is not a failure.
  { Client probe(server.port()); }
  auto good = proxied_client(server.port(), proxy_v4("203.0.113.7", 1));
  EXPECT_EQ(good->read(), kPong);
  EXPECT_EQ(server.server().stats().proxy_header_failures, bad.size() + 1);
  EXPECT_EQ(server.server().stats().records_in, 1u);  // nothing of the bad connections was served
}

TEST(ProxyProtocol, AHeaderThatDoesNotArriveWithinTheHandshakeTimeoutIsRefused) {
  server::Options o = proxied_options();
  o.handshake_timeout = 300ms;
  TestServer server(o);
  Client silent(server.port());
  Client trickling(server.port());
  const Bytes h = proxy_v4("203.0.113.7", 1);
  const auto start = std::chrono::steady_clock::now();
  trickling.send_bytes(h.data(), 10);
  std::this_thread::sleep_for(100ms);
  trickling.send_bytes(h.data() + 10, 10);  // 20 of 28: the payload never completes
  EXPECT_TRUE(silent.closed_without_more_data(5s));
  EXPECT_TRUE(trickling.closed_without_more_data(5s));
  EXPECT_GE(std::chrono::steady_clock::now() - start, 250ms);
  EXPECT_EQ(server.server().stats().proxy_header_failures, 2u);
  EXPECT_TRUE(eventually([&] { return server.server().stats().connections_open == 0; }));
}

TEST(ProxyProtocol, RequestsBehindAHeaderStillArrivingWhenTheDrainBeginsAreAnswered) {
  TestServer server(proxied_options());
  Client c(server.port());
  const Bytes h = proxy_v4("203.0.113.7", 1);
  c.send_bytes(h.data(), 10);
  ASSERT_TRUE(eventually([&] { return server.server().stats().connections_open == 1; }));
  server.server().shutdown();
  std::this_thread::sleep_for(100ms);  // the drain reaches the session
  c.send_bytes(concat(Bytes(h.begin() + 10, h.end()), ping()));
  EXPECT_EQ(c.read(), kPong);
  EXPECT_TRUE(c.closed_without_more_data());
}

TEST(ProxyProtocol, WithTheOptionOffAHeaderIsNotTrustedButADecodeError) {
  server::Options o = test_options();
  o.max_connections_per_ip = 1;
  TestServer server(o);
  {
    Client c(server.port());
    c.send_bytes(concat(proxy_v4("203.0.113.7", 1), ping()));
    EXPECT_EQ(error_code_of(c.read()), "decode_error");
    EXPECT_TRUE(c.closed_without_more_data());
  }
  ASSERT_TRUE(eventually([&] { return server.server().stats().connections_open == 0; }));
  // The socket's address is what counts: a second connection from
  // 127.0.0.1 naming another client in its "header" is over the limit.
  Client holder(server.port());
  holder.send(Dict{{"op", "ping"}});
  EXPECT_EQ(holder.read(), kPong);
  Client other(server.port());
  expect_refused_as_busy(other);
  EXPECT_EQ(server.server().stats().proxy_header_failures, 0u);
}

// OpenSSL writes to the socket with write(): a handshake the server has
// already refused must fail with EPIPE, not kill the test program.
class IgnoreSigpipe {
 public:
  IgnoreSigpipe() : before_(::signal(SIGPIPE, SIG_IGN)) {}
  ~IgnoreSigpipe() { ::signal(SIGPIPE, before_); }

 private:
  sighandler_t before_;
};

TEST(ProxyProtocol, OnTheTlsPortTheHeaderComesBeforeTheHandshake) {
  IgnoreSigpipe ignore_sigpipe;
  TestPki ca;
  const TestPki::Issued cert = ca.issue_server();
  server::Options o = proxied_options(1);
  o.port = std::nullopt;
  o.tls_port = 0;
  o.tls_cert_file = cert.cert.string();
  o.tls_key_file = cert.key.string();
  TestServer server(o);
  const TlsClientOptions trusting{.ca_file = ca.ca_cert().string()};
  auto through_proxy = [&](const Bytes& header) {
    auto c = std::make_unique<TlsClient>(server.server().tls_port(), trusting);
    const ssize_t sent = ::send(c->fd(), header.data(), header.size(), MSG_NOSIGNAL);
    EXPECT_EQ(sent, static_cast<ssize_t>(header.size()));
    return c;
  };
  auto a = through_proxy(proxy_v6("2001:db8::7", 443));
  a->connect();
  a->send(Dict{{"op", "ping"}});
  EXPECT_EQ(a->read(), kPong);
  auto b = through_proxy(proxy_v4("203.0.113.8", 443));
  b->connect();
  b->send(Dict{{"op", "ping"}});
  EXPECT_EQ(b->read(), kPong);
  // The per-IP limit sees the header's address on the TLS port too: closed
  // before any handshake.
  auto a_again = through_proxy(proxy_v6("2001:db8::7", 444));
  std::string why;
  EXPECT_FALSE(a_again->handshake(why));
  // No header: the ClientHello is not one.
  TlsClient direct(server.server().tls_port(), trusting);
  EXPECT_FALSE(direct.handshake(why));
  ASSERT_TRUE(eventually([&] { return server.server().stats().proxy_header_failures == 1; }));
  EXPECT_EQ(server.server().stats().connections_rejected, 1u);
  EXPECT_EQ(server.server().stats().tls_handshake_failures, 0u);
}

TEST(ProxyProtocol, LogsNameTheClientAndRefusalsSayWhatWasWrongAFewTimesPerPeriod) {
  ServerProcess proc({"--port", "0", "--proxy-protocol", "on", "--log-level", "debug"});
  {
    auto v4 = proxied_client(proc.port(), proxy_v4("203.0.113.7", 4242));
    EXPECT_EQ(v4->read(), kPong);
    auto v6 = proxied_client(proc.port(), proxy_v6("2001:db8::7", 4243));
    EXPECT_EQ(v6->read(), kPong);
    auto local = proxied_client(proc.port(), local_header());
    EXPECT_EQ(local->read(), kPong);
  }
  // More refusals than one period's burst (20).
  constexpr int kBad = 25;
  for (int i = 0; i < kBad; ++i) {
    Client c(proc.port());
    c.send(Dict{{"op", "ping"}});
    EXPECT_TRUE(c.closed_without_more_data());
  }
  proc.signal(SIGTERM);
  ASSERT_EQ(proc.wait_exit(10s), 0) << proc.log();
  const std::string& log = proc.log();
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(connection open: 203\.0\.113\.7:4242 \(through proxy 127\.0\.0\.1:\d+\))")))
      << log;
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(connection open: \[2001:db8::7\]:4243 \(through proxy 127\.0\.0\.1:\d+\))")))
      << log;
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(connection open: 127\.0\.0\.1:\d+ \(the proxy's own connection: PROXY LOCAL\))")))
      << log;
  EXPECT_TRUE(std::regex_search(log, std::regex(R"(connection closed: 203\.0\.113\.7:4242 )"))) << log;
  const std::regex refusal(
      R"(no valid PROXY protocol v2 header from 127\.0\.0\.1:\d+: a Crous record without a PROXY header)");
  const auto logged = std::distance(std::sregex_iterator(log.begin(), log.end(), refusal), std::sregex_iterator());
  EXPECT_GE(logged, 1) << log;
  EXPECT_LE(logged, 20) << "not rate-limited";
}

}  // namespace
}  // namespace crous::test
