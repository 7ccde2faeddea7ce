// Pipelining and framing: many records in flight, records split across TCP
// segments, many records per segment, bytes trickled one at a time.
#include <gtest/gtest.h>

#include <atomic>
#include <thread>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

// `count` random records, each a dict with an id so order can be checked.
std::vector<Value> make_requests(std::uint64_t seed, std::size_t count) {
  RandomValueGenerator gen(seed, RandomValueOptions{.max_depth = 3, .max_items = 5, .max_string = 40});
  std::vector<Value> out;
  out.reserve(count);
  for (std::size_t i = 0; i < count; ++i)
    out.push_back(Dict{{"id", static_cast<std::int64_t>(i)}, {"payload", gen.next()}});
  return out;
}

Bytes encode_all(const std::vector<Value>& values) {
  Bytes out;
  for (const auto& v : values) encode_flux(v, out);
  return out;
}

// Sends everything from a second thread while this one reads: a client that
// writes all before reading could deadlock on full socket buffers.
void pipeline_and_check(Client& c, const std::vector<Value>& requests) {
  Bytes wire = encode_all(requests);
  std::thread writer([&] { c.send_bytes(wire); });
  std::size_t matched = 0;
  for (const auto& expected : requests) {
    Value got = c.read();
    if (got != expected) {
      ADD_FAILURE() << "response " << matched << " differs: " << got.debug_string().substr(0, 200);
      break;
    }
    ++matched;
  }
  writer.join();
  EXPECT_EQ(matched, requests.size());
}

TEST(ServerPipeline, TenThousandEchoesOnOneConnectionInOrder) {
  TestServer server;
  Client c(server.port());
  pipeline_and_check(c, make_requests(1, 10'000));
}

TEST(ServerPipeline, FiftyConcurrentConnectionsEachPipelining) {
  TestServer server;
  constexpr int kConnections = 50;
  constexpr std::size_t kPerConnection = 2'000;  // 100,000 records in all
  std::vector<std::thread> clients;
  std::atomic<int> failures{0};
  for (int i = 0; i < kConnections; ++i)
    clients.emplace_back([&, i] {
      try {
        Client c(server.port());
        auto requests = make_requests(100 + i, kPerConnection);
        Bytes wire = encode_all(requests);
        std::thread writer([&] { c.send_bytes(wire); });
        for (const auto& expected : requests)
          if (c.read() != expected) {
            ++failures;
            break;
          }
        writer.join();
      } catch (const std::exception&) {
        ++failures;
      }
    });
  for (auto& t : clients) t.join();
  EXPECT_EQ(failures.load(), 0);
  EXPECT_EQ(server.server().stats().records_out, kConnections * kPerConnection);
}

TEST(ServerPipeline, BytesTrickledOneAtATime) {
  TestServer server;
  Client c(server.port());
  auto requests = make_requests(7, 20);
  Bytes wire = encode_all(requests);
  std::thread writer([&] {
    for (std::uint8_t b : wire) {
      c.send_bytes(&b, 1);
      // Each byte its own segment (TCP_NODELAY is on); a short pause lets
      // the server read most of them one by one.
      std::this_thread::sleep_for(std::chrono::microseconds(20));
    }
  });
  for (const auto& expected : requests) EXPECT_EQ(c.read(), expected);
  writer.join();
}

TEST(ServerPipeline, LargeRecordSplitAcrossManySegments) {
  TestServer server;
  Client c(server.port());
  Value big = Dict{{"id", 1}, {"blob", Bytes(3 << 20, 0xab)}, {"text", std::string(100'000, 'x')}};
  Bytes wire = encode_flux(big);
  encode_flux(Dict{{"op", "ping"}}, wire);
  std::thread writer([&] {
    for (std::size_t at = 0; at < wire.size(); at += 1000) c.send_bytes(wire.data() + at, std::min<std::size_t>(1000, wire.size() - at));
  });
  EXPECT_EQ(c.read(), big);
  EXPECT_EQ(c.read(), Value(Dict{{"pong", true}}));
  writer.join();
}

TEST(ServerPipeline, ManyRecordsInOneSegment) {
  TestServer server;
  Client c(server.port());
  auto requests = make_requests(9, 200);
  Bytes wire = encode_all(requests);
  ASSERT_LT(wire.size(), 60'000u);  // fits one loopback segment
  c.send_bytes(wire);
  for (const auto& expected : requests) EXPECT_EQ(c.read(), expected);
}

TEST(ServerPipeline, GoldenStreamOfSixRecordsIsAnsweredSixTimes) {
  TestServer server;
  Client c(server.port());
  auto bytes = read_file(golden_dir() / "stream" / "six-records.flux");
  c.send_bytes(bytes);
  c.shutdown_write();  // the server still answers everything, then closes
  std::size_t offset = 0;
  for (int i = 0; i < 6; ++i) {
    Value expected;
    offset += decode_flux_prefix(ByteView(bytes).subspan(offset), expected);
    EXPECT_EQ(c.read(), expected) << "record " << i;
  }
  EXPECT_TRUE(c.closed_without_more_data());
}

}  // namespace
}  // namespace crous::test
