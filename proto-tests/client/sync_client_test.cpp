// The synchronous client against the real server: calls, pipelining, error
// records, and usage errors.
#include <gtest/gtest.h>

#include <chrono>
#include <string>

#include "crous/client/client.hpp"
#include "test_server.hpp"

namespace crous::client {
namespace {

using namespace std::chrono_literals;
using test::TestServer;

Client connected(unsigned short port, Options options = {}) {
  Client client(options);
  client.connect("127.0.0.1", port, 5s);
  return client;
}

TEST(SyncClient, CallEchoesTheRecord) {
  TestServer server;
  Client client = connected(server.port());
  const Value record = Dict{{"name", "Alice"}, {"scores", List{98, 95, 100}}, {"raw", Bytes{0, 1, 255}}};
  EXPECT_EQ(client.call(record), record);
  EXPECT_EQ(client.call(Value(42)), Value(42));  // not a dict: default route
  EXPECT_EQ(client.outstanding(), 0u);
}

TEST(SyncClient, PingAnswersPong) {
  TestServer server;
  Client client = connected(server.port());
  EXPECT_EQ(client.call(Dict{{"op", "ping"}}), Value(Dict{{"pong", true}}));
}

TEST(SyncClient, PipelinedResponsesComeBackInOrder) {
  TestServer server;
  Client client = connected(server.port());
  constexpr int count = 2000;
  for (int i = 0; i < count; ++i) client.send(Dict{{"id", i}, {"payload", std::string(i % 50, 'x')}});
  EXPECT_EQ(client.outstanding(), std::size_t{count});
  client.flush();
  for (int i = 0; i < count; ++i) {
    const Value response = client.receive();
    ASSERT_EQ(response["id"].as_int(), i);
  }
  EXPECT_EQ(client.outstanding(), 0u);
}

TEST(SyncClient, HugePipelineDoesNotDeadlockAgainstBackpressure) {
  // 32 MiB of requests in one flush, far beyond the server's 64 KiB
  // high-water mark and the socket buffers: the server stops reading until
  // its answers are read, which flush() does while it writes.
  TestServer server([](server::Options& o) { o.high_watermark = 64 * 1024; });
  Client client = connected(server.port(), Options{.timeout = 30s});
  constexpr int count = 8192;
  const std::string blob(4096, 'z');
  for (int i = 0; i < count; ++i) client.send(Dict{{"id", i}, {"blob", blob}});
  client.flush();
  for (int i = 0; i < count; ++i) ASSERT_EQ(client.receive()["id"].as_int(), i);
}

TEST(SyncClient, ReceiveFlushesWhatSendBuffered) {
  TestServer server;
  Client client = connected(server.port());
  client.send(Value("no explicit flush"));
  EXPECT_EQ(client.receive(), Value("no explicit flush"));
}

TEST(SyncClient, ErrorRecordIsATypedServerErrorAndTheConnectionStaysUsable) {
  TestServer server;
  Client client = connected(server.port());
  try {
    client.call(Dict{{"op", "no-such-op"}, {"id", 7}});
    FAIL() << "expected ServerError";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "unknown_op");
    EXPECT_NE(e.message().find("no-such-op"), std::string::npos) << e.message();
    ASSERT_TRUE(e.id().has_value());
    EXPECT_EQ(*e.id(), Value(7));
  }
  EXPECT_EQ(client.call(Dict{{"op", "ping"}}), Value(Dict{{"pong", true}}));
}

TEST(SyncClient, HandlerErrorsCarryTheirCodes) {
  TestServer server;
  Client client = connected(server.port());
  try {
    client.call(Dict{{"op", "fail"}, {"user", 42}});
    FAIL() << "expected ServerError";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "not_found");
    EXPECT_FALSE(e.id().has_value());
  }
  try {
    client.call(Dict{{"op", "boom"}});
    FAIL() << "expected ServerError";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "handler_error");
  }
}

TEST(SyncClient, PipelinedErrorsStayInTheirSlot) {
  TestServer server;
  Client client = connected(server.port());
  client.send(Dict{{"id", 1}});
  client.send(Dict{{"op", "nope"}, {"id", 2}});
  client.send(Dict{{"id", 3}});
  client.flush();
  EXPECT_EQ(client.receive()["id"], Value(1));
  EXPECT_THROW(client.receive(), ServerError);
  EXPECT_EQ(client.receive()["id"], Value(3));
}

TEST(SyncClient, ReceiveRecordReturnsErrorRecordsAsValues) {
  TestServer server;
  Client client = connected(server.port());
  client.send(Dict{{"op", "nope"}});
  const Value record = client.receive_record();
  const auto error = server_error_in(record);
  ASSERT_TRUE(error.has_value()) << record.debug_string();
  EXPECT_EQ(error->code(), "unknown_op");
}

TEST(SyncClient, OversizedRequestGetsRecordTooLargeThenTheCloseIsReported) {
  TestServer server([](server::Options& o) { o.max_record_bytes = 4096; });
  Client client = connected(server.port());
  client.send(Dict{{"blob", std::string(64 * 1024, 'x')}});
  client.send(Dict{{"op", "ping"}});
  client.flush();
  try {
    client.receive();
    FAIL() << "expected ServerError";
  } catch (const ServerError& e) {
    EXPECT_EQ(e.code(), "record_too_large");
  }
  try {
    client.receive();
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::connection_closed) << e.what();
  }
  EXPECT_FALSE(client.is_open());
}

TEST(SyncClient, CallWithUnreadPipelinedResponsesIsAUsageError) {
  TestServer server;
  Client client = connected(server.port());
  client.send(Value(1));
  EXPECT_THROW(client.call(Value(2)), UsageError);
  EXPECT_EQ(client.receive(), Value(1));
  EXPECT_THROW(client.receive(), UsageError);  // nothing outstanding
}

TEST(SyncClient, UseBeforeConnectIsNotConnected) {
  Client client;
  try {
    client.send(Value(1));
    FAIL() << "expected ClientError";
  } catch (const ClientError& e) {
    EXPECT_EQ(e.code(), ClientErrc::not_connected);
  }
}

TEST(SyncClient, ReconnectAfterClose) {
  TestServer server;
  Client client = connected(server.port());
  client.close();
  EXPECT_FALSE(client.is_open());
  client.connect("127.0.0.1", server.port(), 5s);
  EXPECT_EQ(client.call(Value("again")), Value("again"));
}

}  // namespace
}  // namespace crous::client
