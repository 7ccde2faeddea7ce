// Both clients with Options::compression = lz4: against the real server
// (calls, long pipelines over several connections, TLS, a server with
// compression off, the bytes on the wire), and against raw peers for what
// the server never does: an announced format other than the default, an
// LZ4 stream that does not decompress or is cut, hello answers that are
// errors or nonsense, silence.
#include <poll.h>
#include <sys/socket.h>

#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "crous/client/async_client.hpp"
#include "crous/client/client.hpp"
#include "crous/client/compression.hpp"
#include "crous/flux.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/record_buffer.hpp"
#include "io_helpers.hpp"
#include "raw_peer.hpp"
#include "test_pki.hpp"
#include "test_server.hpp"
#include "tls_fixtures.hpp"

namespace crous::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using test::RawPeer;

// A named string, not a literal, in co_await expressions: GCC 12 cannot
// keep an array temporary in a coroutine frame ("array used as initializer").
const std::string server_host = "127.0.0.1";

using test::contains;

Options lz4_options(std::chrono::milliseconds timeout = 10s) {
  return Options{.connect_timeout = timeout, .timeout = timeout, .compression = Compression::lz4};
}

test::TestServer server_without_compression() {
  return test::TestServer([](server::Options& o) { o.compression = config::Compression::off; });
}

// Deterministic bytes that LZ4 cannot shrink: a record made of them spans
// several 64 KiB pages, so blocks end inside it.
Bytes noise(std::size_t size, std::uint32_t seed) {
  Bytes bytes(size);
  for (auto& b : bytes) {
    seed = seed * 1664525u + 1013904223u;
    b = static_cast<std::uint8_t>(seed >> 24);
  }
  return bytes;
}

// Record `i` of connection `c`: mostly small and repetitive, now and then
// larger than a page and incompressible.
Value record(int c, int i) {
  Dict d{{"id", i}, {"conn", c}, {"pad", std::string(static_cast<std::size_t>(i % 300), static_cast<char>('a' + i % 26))}};
  if (i % 997 == 500) d.insert_or_assign("blob", noise(150'000, static_cast<std::uint32_t>(i)));
  return d;
}

// The server's byte counters (what went over its sockets: compressed bytes
// on compressed connections), read over a plain connection of its own.
struct WireBytes {
  std::int64_t in = 0;
  std::int64_t out = 0;
};
WireBytes wire_bytes(unsigned short port) {
  Client stats;
  stats.connect("127.0.0.1", port, 5s);
  const Value answer = stats.call(Dict{{"op", "stats"}});
  return {answer["bytes"]["in"].as_int(), answer["bytes"]["out"].as_int()};
}

// ---- with the real server ----

TEST(CompressionWithTheServer, SyncCallsPipelineAndErrorRecords) {
  test::TestServer server;
  Client client(lz4_options());
  EXPECT_EQ(client.compression(), Compression::none) << "nothing chosen before connect";
  client.connect("127.0.0.1", server.port());
  ASSERT_EQ(client.compression(), Compression::lz4);
  EXPECT_EQ(client.call(Dict{{"op", "ping"}}), Value(Dict{{"pong", true}}));
  constexpr int count = 3000;  // three records of 150 KB among them: blocks end inside records
  for (int i = 0; i < count; ++i) client.send(record(0, i));
  client.flush();
  for (int i = 0; i < count; ++i) ASSERT_EQ(client.receive(), record(0, i)) << i;
  try {
    client.call(Dict{{"op", "fail"}, {"user", 7}});
    FAIL() << "expected ServerError";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "not_found");
  }
  EXPECT_EQ(client.call(Value(5)), Value(5)) << "an error record leaves the compressed connection usable";
  // A reconnect starts over: a new hello, new LZ4 streams both ways.
  client.connect("127.0.0.1", server.port());
  EXPECT_EQ(client.compression(), Compression::lz4);
  EXPECT_EQ(client.call(Value("again")), Value("again"));
}

TEST(CompressionWithTheServer, AsyncCalls) {
  test::TestServer server;
  asio::io_context io;
  AsyncClient client(io.get_executor(), lz4_options());
  int answered = 0;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    EXPECT_EQ(client.compression(), Compression::none);
    co_await client.async_connect(server_host, server.port(), asio::use_awaitable);
    EXPECT_EQ(client.compression(), Compression::lz4);
    for (int i = 0; i < 300; ++i) {
      const Value request = record(0, i);
      const Value response = co_await client.async_call(request, asio::use_awaitable);
      EXPECT_EQ(response, request);
      ++answered;
    }
    try {
      const Value boom = Dict{{"op", "boom"}};
      co_await client.async_call(boom, asio::use_awaitable);
      ADD_FAILURE() << "expected ServerError";
    } catch (const ServerError& e) {
      EXPECT_EQ(e.code(), "handler_error");
    }
    const Value ping = Dict{{"op", "ping"}};
    const Value pong = co_await client.async_call(ping, asio::use_awaitable);
    EXPECT_EQ(pong, Value(Dict{{"pong", true}}));
    client.close();
  }, test::rethrow_failure);
  test::run_until_idle(io);
  EXPECT_EQ(answered, 300);
}

// 10,000 records per client kind, spread over four connections whose
// pipelines are interleaved: every response comes back on its own
// connection, in order.
TEST(CompressionWithTheServer, TenThousandPipelinedRecordsOverSeveralConnectionsInOrder) {
  test::TestServer server;
  constexpr int connections = 4;
  constexpr int per_connection = 2500;

  std::vector<Client> sync;
  for (int c = 0; c < connections; ++c) {
    sync.emplace_back(lz4_options(30s));
    sync.back().connect("127.0.0.1", server.port());
    ASSERT_EQ(sync.back().compression(), Compression::lz4);
  }
  for (int i = 0; i < per_connection; ++i)
    for (int c = 0; c < connections; ++c) sync[c].send(record(c, i));
  for (auto& client : sync) client.flush();
  for (int c = 0; c < connections; ++c)
    for (int i = 0; i < per_connection; ++i) ASSERT_EQ(sync[c].receive(), record(c, i)) << "connection " << c << " record " << i;

  asio::io_context io;
  std::vector<std::unique_ptr<AsyncClient>> async;
  std::vector<int> next(connections, 0);
  int answered = 0;
  for (int c = 0; c < connections; ++c) {
    async.push_back(std::make_unique<AsyncClient>(io.get_executor(), lz4_options(30s)));
    async.back()->async_connect("127.0.0.1", server.port(), [&, c](std::exception_ptr error) {
      if (error) return test::rethrow_failure(error);
      EXPECT_EQ(async[c]->compression(), Compression::lz4);
      // All of this connection's calls at once: they pile up into batches.
      for (int i = 0; i < per_connection; ++i) {
        async[c]->async_call(record(c, i), [&, c, i](std::exception_ptr call_error, Value response) {
          test::rethrow_failure(call_error);
          EXPECT_EQ(next[c]++, i) << "connection " << c << ": completions in call order";
          EXPECT_EQ(response, record(c, i));
          if (++answered == connections * per_connection)
            for (auto& client : async) client->close();
        });
      }
    });
  }
  test::run_until_idle(io);
  EXPECT_EQ(answered, connections * per_connection);
}

// The server's byte counters show what the clients put on the wire: the
// LZ4 stream, not the records.
TEST(CompressionWithTheServer, RepetitiveRecordsTakeAFractionOfTheirSizeOnTheWire) {
  test::TestServer server;
  constexpr int count = 2000;
  std::vector<Value> records;
  std::size_t plain = 0;
  for (int i = 0; i < count; ++i) {
    records.push_back(Dict{{"id", i}, {"user", "someone@example.com"}, {"tags", List{"alpha", "beta", "gamma"}},
                           {"text", "the same sentence in every record of this test"}});
    plain += encode_flux(records.back()).size();
  }

  const WireBytes before = wire_bytes(server.port());
  {
    Client client(lz4_options());
    client.connect("127.0.0.1", server.port());
    for (const auto& r : records) client.send(r);
    client.flush();
    for (const auto& r : records) ASSERT_EQ(client.receive(), r);
  }
  const WireBytes after_sync = wire_bytes(server.port());
  {
    asio::io_context io;
    AsyncClient client(io.get_executor(), lz4_options());
    int answered = 0;
    client.async_connect("127.0.0.1", server.port(), [&](std::exception_ptr error) {
      test::rethrow_failure(error);
      for (const auto& r : records)
        client.async_call(r, [&](std::exception_ptr call_error, Value) {
          test::rethrow_failure(call_error);
          if (++answered == count) client.close();
        });
    });
    test::run_until_idle(io);
    ASSERT_EQ(answered, count);
  }
  const WireBytes after_async = wire_bytes(server.port());

  // Each span also holds a stats call (~1 KB) and a hello; the records
  // alone shrink to well under a tenth.
  const auto limit = static_cast<std::int64_t>(plain / 4);
  EXPECT_GT(after_sync.in - before.in, 1000) << "the counters must have seen the records";
  EXPECT_LT(after_sync.in - before.in, limit) << "sync requests: " << plain << " bytes of records";
  EXPECT_LT(after_sync.out - before.out, limit) << "sync responses";
  EXPECT_LT(after_async.in - after_sync.in, limit) << "async requests";
  EXPECT_LT(after_async.out - after_sync.out, limit) << "async responses";
}

TEST(CompressionWithTheServer, ServerWithCompressionOffMeansPlainAndSaysSo) {
  auto server = server_without_compression();
  Client client(lz4_options());
  client.connect("127.0.0.1", server.port());
  EXPECT_EQ(client.compression(), Compression::none);
  for (int i = 0; i < 500; ++i) client.send(record(0, i));
  client.flush();
  for (int i = 0; i < 500; ++i) ASSERT_EQ(client.receive(), record(0, i));

  asio::io_context io;
  AsyncClient async(io.get_executor(), lz4_options());
  bool answered = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    co_await async.async_connect(server_host, server.port(), asio::use_awaitable);
    EXPECT_EQ(async.compression(), Compression::none);
    const Value ping = Dict{{"op", "ping"}};
    const Value pong = co_await async.async_call(ping, asio::use_awaitable);
    EXPECT_EQ(pong, Value(Dict{{"pong", true}}));
    answered = true;
    async.close();
  }, test::rethrow_failure);
  test::run_until_idle(io);
  EXPECT_TRUE(answered);
}

// ---- over TLS: TCP, TLS, LZ4, FLUX ----

using test::tls_server;
using Pki = test::TlsPki;

Options tls_lz4(const Pki& pki, const test::TestPki::Issued* as = nullptr) {
  Options options = lz4_options();
  options.tls = test::trusting(pki, as);
  return options;
}

TEST(CompressionOverTls, SyncAndAsyncPipelines) {
  Pki pki;
  auto server = tls_server(pki);
  Client client(tls_lz4(pki));
  client.connect("127.0.0.1", server.tls_port());
  ASSERT_EQ(client.compression(), Compression::lz4);
  constexpr int count = 2000;
  for (int i = 0; i < count; ++i) client.send(record(1, i));
  client.flush();
  for (int i = 0; i < count; ++i) ASSERT_EQ(client.receive(), record(1, i)) << i;
  client.close();

  asio::io_context io;
  AsyncClient async(io.get_executor(), tls_lz4(pki));
  int answered = 0;
  async.async_connect("127.0.0.1", server.tls_port(), [&](std::exception_ptr error) {
    test::rethrow_failure(error);
    EXPECT_EQ(async.compression(), Compression::lz4);
    for (int i = 0; i < count; ++i)
      async.async_call(record(2, i), [&, i](std::exception_ptr call_error, Value response) {
        test::rethrow_failure(call_error);
        EXPECT_EQ(response, record(2, i));
        if (++answered == count) async.close();
      });
  });
  test::run_until_idle(io);
  EXPECT_EQ(answered, count);
}

// TLS 1.3: the server judges the client certificate after the client's
// handshake is done, and its refusal is the first thing read. With a hello
// that read is part of connect, so connect itself reports it.
TEST(CompressionOverTls, ARefusedClientCertificateFailsTheConnect) {
  Pki pki;
  auto server = tls_server(pki, {"alice"});
  Client alice(tls_lz4(pki, &pki.alice));
  alice.connect("127.0.0.1", server.tls_port());
  EXPECT_EQ(alice.compression(), Compression::lz4);
  EXPECT_EQ(alice.call(Dict{{"op", "ping"}}), Value(Dict{{"pong", true}}));

  Client bob(tls_lz4(pki, &pki.bob));
  try {
    bob.connect("127.0.0.1", server.tls_port());
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::tls_handshake_failed) << e.what();
    EXPECT_TRUE(contains(e.what(), "refused the client certificate")) << e.what();
  }

  asio::io_context io;
  AsyncClient async(io.get_executor(), tls_lz4(pki, &pki.bob));
  std::optional<ClientErrc> code;
  async.async_connect("127.0.0.1", server.tls_port(), [&](std::exception_ptr error) { code = test::client_errc(error); });
  test::run_until_idle(io);
  EXPECT_EQ(code, ClientErrc::tls_handshake_failed);
}

// ---- against raw peers ----

Bytes encoded(const Value& value) { return encode_flux(value); }

// Reads the client's compressed bytes until one whole request has come out
// of them (bounded by the peer's socket timeouts).
Value read_compressed_request(int fd, Lz4StreamDecompressor& lz4, RecordBuffer& records) {
  for (;;) {
    if (auto record = records.next()) return decode_flux(*record);
    if (auto block = lz4.next()) {
      records.append(*block);
      continue;
    }
    std::uint8_t buffer[4096];
    const ssize_t n = ::recv(fd, buffer, sizeof buffer, 0);
    if (n <= 0) throw std::runtime_error("raw peer: the compressed request stream ended");
    lz4.append({buffer, static_cast<std::size_t>(n)});
  }
}

const Value lz4_answer = Dict{{"protocol", 1}, {"compression", "lz4"}, {"page_size", 65536}, {"size_bytes", 4}};

// The hello must come first and alone, in the documented shape.
void expect_hello(int fd) {
  const auto requests = RawPeer::read_requests(fd, 1);
  EXPECT_EQ(requests.at(0), Value(Dict{{"op", "hello"}, {"compression", List{"lz4"}}}));
}

TEST(CompressionWithAPeer, TheAnnouncedFormatIsUsedBothWays) {
  // Not the server's default: 4 KiB pages, 2-byte size prefixes. A client
  // that ignored the announcement could not be read, nor read the answer.
  const Lz4Format format{.page_size = 4096, .size_bytes = 2};
  const Value big = Dict{{"blob", noise(10'000, 7)}};  // more than two pages
  auto script = [&](int fd) {
    expect_hello(fd);
    RawPeer::write_bytes(fd, encoded(Dict{{"protocol", 1}, {"compression", "lz4"}, {"page_size", 4096}, {"size_bytes", 2}}));
    Lz4StreamDecompressor in(format);
    Lz4StreamCompressor out(format);
    RecordBuffer records;
    for (int i = 0; i < 3; ++i) {
      const Value request = read_compressed_request(fd, in, records);
      Bytes plain = encode_flux(request), wire;
      out.write(plain, wire);
      out.flush(wire);
      RawPeer::write_bytes(fd, wire);
    }
    RawPeer::wait_for_close(fd);
  };
  {
    RawPeer peer(script);
    Client client(lz4_options(5s));
    client.connect("127.0.0.1", peer.port());
    ASSERT_EQ(client.compression(), Compression::lz4);
    EXPECT_EQ(client.call(Value("one")), Value("one"));
    EXPECT_EQ(client.call(big), big);
    EXPECT_EQ(client.call(Value(3)), Value(3));
  }
  {
    RawPeer peer(script);
    asio::io_context io;
    AsyncClient client(io.get_executor(), lz4_options(5s));
    int answered = 0;
    asio::co_spawn(io, [&]() -> asio::awaitable<void> {
      co_await client.async_connect(server_host, peer.port(), asio::use_awaitable);
      const std::vector<Value> requests{Value("one"), big, Value(3)};
      for (const Value& request : requests) {
        const Value response = co_await client.async_call(request, asio::use_awaitable);
        EXPECT_EQ(response, request);
        ++answered;
      }
      client.close();
    }, test::rethrow_failure);
    test::run_until_idle(io);
    EXPECT_EQ(answered, 3);
  }
}

// A peer that agrees to LZ4, waits for the first request and answers it
// with `wire` (then waits for the client to give up).
RawPeer::Script answer_with(Bytes wire) {
  return [wire = std::move(wire)](int fd) {
    expect_hello(fd);
    RawPeer::write_bytes(fd, encoded(lz4_answer));
    std::uint8_t byte = 0;
    if (::recv(fd, &byte, 1, 0) != 1) throw std::runtime_error("raw peer: no compressed request");
    RawPeer::write_bytes(fd, wire);
    RawPeer::wait_for_close(fd);
  };
}

// A size prefix of 40, then 40 bytes that are no LZ4 block.
Bytes garbage_block() {
  Bytes bad(44, 0xff);
  bad[0] = 40;
  bad[1] = bad[2] = bad[3] = 0;
  return bad;
}

TEST(CompressionWithAPeer, AResponseStreamThatDoesNotDecompressIsMalformed) {
  {
    RawPeer peer(answer_with(garbage_block()));
    Client client(lz4_options(5s));
    client.connect("127.0.0.1", peer.port());
    try {
      client.call(Dict{{"op", "ping"}});
      FAIL() << "expected ClientError";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.code(), ClientErrc::malformed_response) << e.what();
      EXPECT_TRUE(contains(e.what(), "does not decompress")) << e.what();
    }
    EXPECT_FALSE(client.is_open());
  }
  {
    RawPeer peer(answer_with(garbage_block()));
    asio::io_context io;
    AsyncClient client(io.get_executor(), lz4_options(5s));
    std::optional<ClientErrc> code;
    std::string message;
    client.async_connect("127.0.0.1", peer.port(), [&](std::exception_ptr error) {
      test::rethrow_failure(error);
      client.async_call(Dict{{"op", "ping"}}, [&](std::exception_ptr call_error, Value) {
        code = test::client_errc(call_error);
        try {
          std::rethrow_exception(call_error);
        } catch (const std::exception& e) {
          message = e.what();
        }
      });
    });
    test::run_until_idle(io);
    EXPECT_EQ(code, ClientErrc::malformed_response) << message;
    EXPECT_TRUE(contains(message, "does not decompress")) << message;
  }
}

TEST(CompressionWithAPeer, ASizePrefixBeyondTheBlockBoundIsMalformed) {
  RawPeer peer(answer_with(Bytes{0xff, 0xff, 0xff, 0x7f, 1, 2, 3}));  // a "block" of 2 GiB
  Client client(lz4_options(5s));
  client.connect("127.0.0.1", peer.port());
  try {
    client.call(Dict{{"op", "ping"}});
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::malformed_response) << e.what();
  }
}

TEST(CompressionWithAPeer, AStreamCutInsideABlockIsATruncatedResponse) {
  Lz4StreamCompressor out;
  Bytes plain = encode_flux(Value(Dict{{"pong", true}})), wire;
  out.write(plain, wire);
  out.flush(wire);
  wire.resize(wire.size() - 3);  // then the peer closes
  RawPeer peer([&](int fd) {
    expect_hello(fd);
    RawPeer::write_bytes(fd, encoded(lz4_answer));
    std::uint8_t byte = 0;
    if (::recv(fd, &byte, 1, 0) != 1) throw std::runtime_error("raw peer: no compressed request");
    RawPeer::write_bytes(fd, wire);
    ::shutdown(fd, SHUT_WR);
    RawPeer::wait_for_close(fd);
  });
  Client client(lz4_options(5s));
  client.connect("127.0.0.1", peer.port());
  try {
    client.call(Dict{{"op", "ping"}});
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::truncated_response) << e.what();
    EXPECT_TRUE(contains(e.what(), "LZ4 block")) << e.what();
  }
}

// Hello answers the client cannot go on from: hello_failed, at connect.
TEST(CompressionWithAPeer, BadHelloAnswersFailTheConnect) {
  struct Case {
    Value answer;
    std::string says;
  };
  const std::vector<Case> cases = {
      {Dict{{"error", Dict{{"code", "unknown_op"}, {"message", "unknown op 'hello'"}}}}, "predates compression"},
      {Dict{{"error", Dict{{"code", "server_busy"}, {"message", "too many connections"}}}}, "server_busy"},
      {Value(5), "did not answer the compression hello"},
      {Dict{{"protocol", 1}}, "did not answer the compression hello"},
      {Dict{{"compression", "zstd"}}, "'zstd', which was not offered"},
      {Dict{{"compression", "lz4"}, {"size_bytes", 4}}, "without a valid \"page_size\""},
      {Dict{{"compression", "lz4"}, {"page_size", 7}, {"size_bytes", 4}}, "cannot use"},
      {Dict{{"compression", "lz4"}, {"page_size", 65536}, {"size_bytes", 3}}, "cannot use"},
      {Dict{{"compression", "lz4"}, {"page_size", 65536}, {"size_bytes", 1}}, "cannot use"},  // a full block needs more than 1 byte
      {Dict{{"compression", "lz4"}, {"page_size", std::int64_t{1} << 40}, {"size_bytes", 4}}, "cannot use"},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(c.answer.debug_string());
    RawPeer peer([&](int fd) {
      expect_hello(fd);
      RawPeer::write_bytes(fd, encoded(c.answer));
      RawPeer::wait_for_close(fd);
    });
    Client client(lz4_options(5s));
    try {
      client.connect("127.0.0.1", peer.port());
      FAIL() << "expected ClientError";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.code(), ClientErrc::hello_failed) << e.what();
      EXPECT_TRUE(contains(e.what(), c.says)) << e.what();
    }
    EXPECT_FALSE(client.is_open());
  }
  // The async client reports the same, through async_connect.
  RawPeer peer([&](int fd) {
    expect_hello(fd);
    RawPeer::write_bytes(fd, encoded(cases.front().answer));
    RawPeer::wait_for_close(fd);
  });
  asio::io_context io;
  AsyncClient client(io.get_executor(), lz4_options(5s));
  std::optional<ClientErrc> code;
  client.async_connect("127.0.0.1", peer.port(), [&](std::exception_ptr error) { code = test::client_errc(error); });
  test::run_until_idle(io);
  EXPECT_EQ(code, ClientErrc::hello_failed);
}

TEST(CompressionWithAPeer, APeerThatClosesWithoutAnsweringIsAClosedConnection) {
  for (bool cut_answer : {false, true}) {
    RawPeer peer([&](int fd) {
      expect_hello(fd);
      if (cut_answer) {
        Bytes half = encoded(lz4_answer);
        half.resize(half.size() / 2);
        RawPeer::write_bytes(fd, half);
      }
    });
    Client client(lz4_options(5s));
    try {
      client.connect("127.0.0.1", peer.port());
      FAIL() << "expected ClientError";
    } catch (const ClientError& e) {
      EXPECT_EQ(e.code(), cut_answer ? ClientErrc::truncated_response : ClientErrc::connection_closed) << e.what();
      EXPECT_TRUE(contains(e.what(), "compression hello")) << e.what();
    }
  }
}

TEST(CompressionWithAPeer, ASilentPeerTimesTheConnectOutAtTheHello) {
  RawPeer peer([](int fd) {
    expect_hello(fd);
    RawPeer::wait_for_close(fd);
  });
  Client client(Options{.connect_timeout = 300ms, .timeout = 5s, .compression = Compression::lz4});
  const auto started = std::chrono::steady_clock::now();
  try {
    client.connect("127.0.0.1", peer.port());
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::timeout) << e.what();
    EXPECT_TRUE(contains(e.what(), "compression hello")) << e.what();
  }
  EXPECT_LT(std::chrono::steady_clock::now() - started, 3s);

  RawPeer async_peer([](int fd) {
    expect_hello(fd);
    RawPeer::wait_for_close(fd);
  });
  asio::io_context io;
  AsyncClient async(io.get_executor(), Options{.connect_timeout = 300ms, .timeout = 5s, .compression = Compression::lz4});
  std::optional<ClientErrc> code;
  async.async_connect("127.0.0.1", async_peer.port(), [&](std::exception_ptr error) { code = test::client_errc(error); });
  test::run_until_idle(io);
  EXPECT_EQ(code, ClientErrc::timeout);
}

// ---- the hello itself ----

TEST(CompressionHello, RequestAndAnswerParsing) {
  EXPECT_EQ(hello_request(Compression::lz4), Value(Dict{{"op", "hello"}, {"compression", List{"lz4"}}}));
  EXPECT_EQ(hello_request(Compression::none), Value(Dict{{"op", "hello"}, {"compression", List{}}}));
  const HelloAnswer none = parse_hello_answer(Dict{{"protocol", 1}, {"compression", "none"}}, Compression::lz4, "peer");
  EXPECT_EQ(none.compression, Compression::none);
  const HelloAnswer lz4 = parse_hello_answer(
      Dict{{"protocol", 1}, {"compression", "lz4"}, {"page_size", 8192}, {"size_bytes", 2}, {"later", "ignored"}},
      Compression::lz4, "peer");
  EXPECT_EQ(lz4.compression, Compression::lz4);
  EXPECT_EQ(lz4.format, (Lz4Format{.page_size = 8192, .size_bytes = 2}));
  // lz4 was not offered: the server must not choose it.
  EXPECT_THROW(parse_hello_answer(Dict{{"compression", "lz4"}, {"page_size", 8192}, {"size_bytes", 2}}, Compression::none,
                                  "peer"),
               ClientError);
  EXPECT_EQ(to_string(Compression::lz4), "lz4");
  EXPECT_EQ(to_string(ClientErrc::hello_failed), "hello_failed");
}

}  // namespace
}  // namespace crous::client
