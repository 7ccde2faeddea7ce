// Malformed and oversize input: an error record, then a close; other
// connections never notice.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

// Pings on its own connection until stopped; counts answers and failures.
class HealthyNeighbour {
 public:
  explicit HealthyNeighbour(std::uint16_t port) : client_(port), thread_([this] { run(); }) {}
  ~HealthyNeighbour() { stop(); }
  void stop() {
    stop_ = true;
    if (thread_.joinable()) thread_.join();
  }
  int answers() const { return answers_; }
  int failures() const { return failures_; }

 private:
  void run() {
    while (!stop_) {
      try {
        client_.send(Dict{{"op", "ping"}, {"id", answers_.load()}});
        Value v = client_.read(5s);
        if (v == Value(Dict{{"pong", true}})) ++answers_;
        else ++failures_;
      } catch (const std::exception&) {
        ++failures_;
        return;
      }
    }
  }
  Client client_;
  std::atomic<bool> stop_{false};
  std::atomic<int> answers_{0};
  std::atomic<int> failures_{0};
  std::thread thread_;
};

TEST(ServerInvalidInput, EveryGoldenInvalidFileGetsAnErrorRecordAndAClose) {
  TestServer server;
  HealthyNeighbour neighbour(server.port());
  auto files = golden_files("invalid", ".flux");
  ASSERT_FALSE(files.empty());
  for (const auto& f : files) {
    SCOPED_TRACE(f.filename().string());
    auto bytes = read_file(f);
    Client c(server.port());
    c.send_bytes(bytes);
    // Truncated files are only known to be bad once the client says it is done.
    c.shutdown_write();
    Value v;
    auto next = c.next(v);
    if (bytes.empty()) {
      // Nothing sent is nothing to answer: a clean close, no record.
      EXPECT_EQ(next, Client::Next::eof);
      continue;
    }
    ASSERT_EQ(next, Client::Next::record);
    std::string code = error_code_of(v);
    // huge_*: declared sizes beyond max_record_bytes, refused as too large.
    std::string expected = f.filename().string().rfind("huge_", 0) == 0 ? "record_too_large" : "decode_error";
    EXPECT_EQ(code, expected) << v;
    EXPECT_NE(v["error"]["message"].as_string().find("at byte "), std::string::npos) << v;
    EXPECT_FALSE(v.contains("id"));
    EXPECT_TRUE(c.closed_without_more_data()) << "connection stayed open";
  }
  std::this_thread::sleep_for(50ms);  // let the neighbour get a few more in
  neighbour.stop();
  EXPECT_GT(neighbour.answers(), 0);
  EXPECT_EQ(neighbour.failures(), 0);
}

TEST(ServerInvalidInput, GoodRecordsBeforeABadOneAreAnsweredFirst) {
  TestServer server;
  Client c(server.port());
  Bytes wire = encode_flux(Dict{{"id", 1}});
  encode_flux(Dict{{"id", 2}}, wire);
  std::size_t bad_at = wire.size();
  const std::uint8_t unknown_tag[] = {'F', 'L', 'U', 'X', 1, 0, 0x7f};
  wire.insert(wire.end(), std::begin(unknown_tag), std::end(unknown_tag));
  encode_flux(Dict{{"id", 3}}, wire);  // after the bad one: never answered
  c.send_bytes(wire);
  EXPECT_EQ(c.read(), Value(Dict{{"id", 1}}));
  EXPECT_EQ(c.read(), Value(Dict{{"id", 2}}));
  Value err = c.read();
  EXPECT_EQ(error_code_of(err), "decode_error");
  // The offset is counted from the start of the stream.
  EXPECT_NE(err["error"]["message"].as_string().find("at byte " + std::to_string(bad_at + 6)), std::string::npos) << err;
  EXPECT_TRUE(c.closed_without_more_data());
}

TEST(ServerInvalidInput, DeclaredHugeCountIsRefusedAtOnceWithoutWaitingForBytes) {
  TestServer server;
  Client c(server.port());
  // A list header claiming 4 billion items; the client then just waits.
  c.send_bytes(std::vector<std::uint8_t>{'F', 'L', 'U', 'X', 1, 0, 0x07, 0xff, 0xff, 0xff, 0xff, 0x0f});
  Value v = c.read(5s);
  EXPECT_EQ(error_code_of(v), "record_too_large") << v;
  EXPECT_TRUE(c.closed_without_more_data());
}

TEST(ServerInvalidInput, OversizeRecordIsRefusedWithoutBufferingIt) {
  auto options = test_options();
  options.max_record_bytes = 64 * 1024;
  TestServer server(options);
  HealthyNeighbour neighbour(server.port());
  Client c(server.port());
  // A 200 KiB record whose size is only known as it arrives: a list of
  // many small strings, each declaring little.
  List items;
  for (int i = 0; i < 20'000; ++i) items.push_back("0123456789");
  Bytes wire = encode_flux(Value(std::move(items)));
  std::thread writer([&] {
    try {
      c.send_bytes(wire);
    } catch (const std::exception&) {
      // The server may close before taking everything: expected.
    }
  });
  Value v = c.read();
  writer.join();
  EXPECT_EQ(error_code_of(v), "record_too_large") << v;
  EXPECT_TRUE(c.closed_without_more_data());
  neighbour.stop();
  EXPECT_EQ(neighbour.failures(), 0);
  EXPECT_EQ(server.server().stats().records_too_large, 1u);
}

TEST(ServerInvalidInput, DepthBeyondTheLimitIsADecodeError) {
  auto options = test_options();
  options.max_depth = 8;
  TestServer server(options);
  Client c(server.port());
  Value deep = List{};
  for (int i = 0; i < 10; ++i) deep = List{deep};
  c.send(deep);
  Value v = c.read();
  EXPECT_EQ(error_code_of(v), "decode_error") << v;
  EXPECT_TRUE(c.closed_without_more_data());
}

}  // namespace
}  // namespace crous::test

namespace crous::test {
namespace {

// The error a server sends while the client keeps its connection open and
// sends nothing more: the server must not wait for bytes that cannot help.
std::string prompt_error(std::uint16_t port, const Bytes& bytes) {
  Client c(port);
  c.send_bytes(bytes);
  Value v;
  if (c.next(v, 3s) != Client::Next::record) return "(no answer within 3 s)";
  const Value* error = v.is_dict() ? v.find("error") : nullptr;
  return error ? error_code_of(v) + ": " + (*error)["message"].as_string() : "(not an error record)";
}

TEST(ServerInvalidInput, TagF0IsRefusedAtItsOwnByteWithoutWaitingForMore) {
  TestServer server;
  // A FLUX v1 header (flags byte 0x47), then tag 0xF0, which FLUX does not
  // have (the legacy format's 8-byte int is not a FLUX tag).
  const std::string error = prompt_error(server.port(), {0x46, 0x4c, 0x55, 0x58, 0x01, 0x47, 0xf0});
  EXPECT_EQ(error.rfind("decode_error: unknown_tag at byte 6", 0), 0u) << error;
}

TEST(ServerInvalidInput, InvalidUtf8IsReportedWhenTheStringEndsNotWhenTheRecordDoes) {
  TestServer server;
  // A list declaring 3 items; only the first, a 2-byte string that is not
  // UTF-8 (a lone continuation byte), has arrived.
  Bytes bytes = {'F', 'L', 'U', 'X', 1, 0, 0x07, 3, 0x05, 2, 'a', 0x80};
  const std::string error = prompt_error(server.port(), bytes);
  EXPECT_EQ(error.rfind("decode_error: invalid_utf8 at byte", 0), 0u) << error;
}

}  // namespace
}  // namespace crous::test
