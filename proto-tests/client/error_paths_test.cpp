// Transport failures, each with its own error code, for both clients:
// refused, connect timeout, response timeout, close between responses,
// close inside a response, bytes that are not FLUX, unsolicited responses.
// The peers are real loopback sockets scripted by RawPeer.
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <chrono>
#include <functional>

#include "crous/client/async_client.hpp"
#include "crous/client/client.hpp"
#include "crous/flux.hpp"
#include "io_helpers.hpp"
#include "raw_peer.hpp"

namespace crous::client {
namespace {

namespace asio = boost::asio;
using namespace std::chrono_literals;
using Clock = std::chrono::steady_clock;
using test::RawPeer;

Bytes record(const Value& value) { return encode_flux(value); }

// What the synchronous client reports for a scripted peer: one call.
ClientErrc sync_call_error(unsigned short port, Options options = {}) {
  Client client(options);
  try {
    client.connect("127.0.0.1", port, 5s);
    client.call(Dict{{"id", 1}});
  } catch (const ClientError& e) {
    EXPECT_FALSE(client.is_open()) << "a transport error must close the connection";
    return e.code();
  }
  ADD_FAILURE() << "expected a ClientError";
  return ClientErrc::io_error;
}

// The same through the asynchronous client, with a coroutine.
std::optional<ClientErrc> async_call_error(unsigned short port, Options options = {}) {
  asio::io_context io;
  AsyncClient client(io.get_executor(), options);
  std::exception_ptr error;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    const Value request = Dict{{"id", 1}};  // outside co_await: GCC 12 bug with literals there
    co_await client.async_connect("127.0.0.1", port, asio::use_awaitable);
    co_await client.async_call(request, asio::use_awaitable);
  }, [&](std::exception_ptr e) { error = e; });
  test::run_until_idle(io);
  return test::client_errc(error);
}

// Scripts: what the peer does after reading one request.
void never_answer(int fd) {
  RawPeer::read_requests(fd, 1);
  RawPeer::wait_for_close(fd);
}
void close_without_answer(int fd) { RawPeer::read_requests(fd, 1); }
void answer_half(int fd) {
  RawPeer::read_requests(fd, 1);
  Bytes bytes = record(Dict{{"id", 1}, {"text", "cut short"}});
  bytes.resize(bytes.size() / 2);
  RawPeer::write_bytes(fd, bytes);
}
void answer_garbage(int fd) {
  RawPeer::read_requests(fd, 1);
  RawPeer::write_bytes(fd, {'H', 'T', 'T', 'P', '/', '1', '.', '1', ' ', '4', '0', '0'});
  RawPeer::wait_for_close(fd);
}

struct Case {
  const char* name;
  std::function<void(int)> script;
  ClientErrc expected;
};

const Case cases[] = {
    {"closed", close_without_answer, ClientErrc::connection_closed},
    {"truncated", answer_half, ClientErrc::truncated_response},
    {"garbage", answer_garbage, ClientErrc::malformed_response},
};

TEST(ClientErrors, EachPeerMisbehaviourHasItsOwnCodeSync) {
  for (const auto& c : cases) {
    RawPeer peer(c.script);
    EXPECT_EQ(sync_call_error(peer.port()), c.expected) << c.name;
  }
}

TEST(ClientErrors, EachPeerMisbehaviourHasItsOwnCodeAsync) {
  for (const auto& c : cases) {
    RawPeer peer(c.script);
    EXPECT_EQ(async_call_error(peer.port()), c.expected) << c.name;
  }
}

// A peer that never answers: `call` must fail with timeout, promptly.
void expect_prompt_timeout(const std::function<std::optional<ClientErrc>(unsigned short)>& call) {
  RawPeer peer(never_answer);
  const auto start = Clock::now();
  EXPECT_EQ(call(peer.port()), ClientErrc::timeout);
  const auto took = Clock::now() - start;
  EXPECT_GE(took, 300ms);
  EXPECT_LT(took, 5s);
}

TEST(ClientErrors, SilentServerTimesOut) {
  const Options options{.timeout = 300ms};
  expect_prompt_timeout([&](unsigned short port) -> std::optional<ClientErrc> { return sync_call_error(port, options); });
  expect_prompt_timeout([&](unsigned short port) { return async_call_error(port, options); });
}

TEST(ClientErrors, ServerClosingMidStreamAfterSomeAnswers) {
  RawPeer peer([](int fd) {
    RawPeer::read_requests(fd, 3);
    RawPeer::write_bytes(fd, record(Dict{{"id", 0}}));  // answers only the first
  });
  Client client;
  client.connect("127.0.0.1", peer.port(), 5s);
  for (int i = 0; i < 3; ++i) client.send(Dict{{"id", i}});
  client.flush();
  EXPECT_EQ(client.receive()["id"], Value(0));
  try {
    client.receive();
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::connection_closed);
    EXPECT_NE(std::string(e.what()).find("2 response(s) outstanding"), std::string::npos) << e.what();
  }
  try {
    client.send(Value(1));
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::not_connected);
    EXPECT_NE(std::string(e.what()).find("connection_closed"), std::string::npos) << "should say why: " << e.what();
  }
}

TEST(ClientErrors, AsyncCallsBehindAFailureAllFail) {
  RawPeer peer([](int fd) {
    RawPeer::read_requests(fd, 3);
    RawPeer::write_bytes(fd, record(Dict{{"id", 0}}));
  });
  asio::io_context io;
  AsyncClient client(io.get_executor());
  std::vector<std::optional<ClientErrc>> results;
  client.async_connect("127.0.0.1", peer.port(), [&](std::exception_ptr error) {
    ASSERT_FALSE(error);
    for (int i = 0; i < 3; ++i) {
      client.async_call(Dict{{"id", i}}, [&](std::exception_ptr e, Value) { results.push_back(test::client_errc(e)); });
    }
  });
  test::run_until_idle(io);
  ASSERT_EQ(results.size(), 3u);
  EXPECT_EQ(results[0], std::nullopt);  // answered
  EXPECT_EQ(results[1], ClientErrc::connection_closed);
  EXPECT_EQ(results[2], ClientErrc::connection_closed);
}

// The peer answers the one request twice, in one write, so the extra record
// arrives together with the real answer.
void answer_twice(int fd) {
  RawPeer::read_requests(fd, 1);
  Bytes bytes = record(Dict{{"id", 1}});
  const Bytes extra = record(Dict{{"surprise", true}});
  bytes.insert(bytes.end(), extra.begin(), extra.end());
  RawPeer::write_bytes(fd, bytes);
  RawPeer::wait_for_close(fd);
}

void expect_not_connected_because_unexpected(const ClientError& e) {
  EXPECT_TRUE(e.code() == ClientErrc::unexpected_response ||
              (e.code() == ClientErrc::not_connected && std::string(e.what()).find("unexpected_response") != std::string::npos))
      << e.what();
}

TEST(ClientErrors, UnsolicitedResponseIsUnexpectedSync) {
  RawPeer peer(answer_twice);
  Client client;
  client.connect("127.0.0.1", peer.port(), 5s);
  EXPECT_EQ(client.call(Dict{{"id", 1}}), Value(Dict{{"id", 1}}));
  try {
    client.call(Dict{{"id", 2}});
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    expect_not_connected_because_unexpected(e);
  }
}

TEST(ClientErrors, UnsolicitedResponseIsUnexpectedAsync) {
  RawPeer peer(answer_twice);
  asio::io_context io;
  AsyncClient client(io.get_executor());
  bool checked = false;
  asio::co_spawn(io, [&]() -> asio::awaitable<void> {
    const Value first = Dict{{"id", 1}};  // outside co_await: GCC 12 bug with literals there
    const Value second = Dict{{"id", 2}};
    co_await client.async_connect("127.0.0.1", peer.port(), asio::use_awaitable);
    const Value answer = co_await client.async_call(first, asio::use_awaitable);
    EXPECT_EQ(answer, first);
    try {
      co_await client.async_call(second, asio::use_awaitable);
      ADD_FAILURE() << "expected ClientError";
    } catch (const ClientError& e) {
      expect_not_connected_because_unexpected(e);
      checked = true;
    }
    client.close();
  }, test::rethrow_failure);
  test::run_until_idle(io);
  EXPECT_TRUE(checked);
}

TEST(ClientErrors, ConnectionRefused) {
  test::RefusingPort port;
  Client client;
  try {
    client.connect("127.0.0.1", port.port(), 5s);
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::connection_refused);
  }
  EXPECT_EQ(async_call_error(port.port()), ClientErrc::connection_refused);
}

TEST(ClientErrors, ConnectTimesOut) {
  test::FullListener listener;
  const auto start = Clock::now();
  Client client;
  try {
    client.connect("127.0.0.1", listener.port(), 300ms);
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::timeout);
  }
  EXPECT_LT(Clock::now() - start, 5s);
  EXPECT_EQ(async_call_error(listener.port(), Options{.connect_timeout = 300ms}), ClientErrc::timeout);
}

TEST(ClientErrors, UnknownHostDoesNotResolve) {
  Client client;
  try {
    client.connect("no-such-host.invalid", 7878, 10s);
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::resolve_failed);
  }
}

}  // namespace
}  // namespace crous::client
