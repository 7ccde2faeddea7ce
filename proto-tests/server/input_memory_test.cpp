// What the server holds for input: nothing for idle connections, only the
// bytes of unfinished records, at most the record limit plus one read per
// connection, and max_buffered_bytes across the server. And for output:
// high_watermark holds per record.
#include <gtest/gtest.h>

#include "server_test_util.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

constexpr std::size_t kReadChunk = 64 * 1024;

// A FLUX record holding one string of `size` bytes: header, tag, varint, bytes.
Bytes string_record(std::size_t size) { return encode_flux(Value(std::string(size, 's'))); }

// Sends as much of `bytes` as the server takes within `limit` (it may stop
// reading); returns how much went.
std::size_t offer(Client& c, const Bytes& bytes, std::size_t from, std::size_t to, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  std::size_t at = from;
  while (at < to && std::chrono::steady_clock::now() < deadline) {
    std::size_t n = 0;
    try {
      n = c.send_some_nonblocking(bytes.data() + at, to - at);
    } catch (const std::system_error&) {
      break;  // closed by the server
    }
    at += n;
    if (n == 0) std::this_thread::sleep_for(2ms);
  }
  return at - from;
}

TEST(InputMemory, IdleConnectionsHoldNoInputBuffer) {
  TestServer server;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < 50; ++i) {
    clients.push_back(std::make_unique<Client>(server.port()));
    clients.back()->send(Dict{{"op", "ping"}});
  }
  for (auto& c : clients) EXPECT_EQ(c->read(), Value(Dict{{"pong", true}}));
  auto stats = server.server().stats();
  EXPECT_EQ(stats.connections_open, 50u);
  EXPECT_EQ(stats.input_buffered_bytes, 0u);
  // The output gauge is updated when the server learns its write completed,
  // which may be just after the client has read the answer.
  EXPECT_TRUE(eventually([&] { return server.server().stats().output_pending_bytes == 0; }));
}

TEST(InputMemory, AnUnfinishedRecordHoldsAboutItsOwnBytes) {
  TestServer server;
  Client c(server.port());
  const Bytes record = string_record(200'000);
  c.send_bytes(record.data(), 1);  // one byte of a header
  ASSERT_TRUE(eventually([&] { return server.server().stats().input_buffered_bytes != 0; }));
  EXPECT_LE(server.server().stats().input_buffered_bytes, 1024u);

  c.send_bytes(record.data() + 1, 100'000 - 1);
  ASSERT_TRUE(eventually([&] { return server.server().stats().bytes_in >= 100'000; }));
  // Grown geometrically: at most twice what arrived.
  EXPECT_LE(server.server().stats().input_buffered_bytes, 200'000u);

  c.send_bytes(record.data() + 100'000, record.size() - 100'000);
  EXPECT_EQ(c.read(), Value(std::string(200'000, 's')));
  // Given back once the record is complete.
  ASSERT_TRUE(eventually([&] { return server.server().stats().input_buffered_bytes == 0; }));
}

TEST(InputMemory, ARecordNearTheLimitNeedsAtMostTheLimitPlusOneRead) {
  auto options = test_options();  // the default limit, 16 MiB
  TestServer server(options);
  Client c(server.port());
  const Bytes record = string_record(options.max_record_bytes - 20);
  ASSERT_LE(record.size(), options.max_record_bytes);
  c.send_bytes(record.data(), record.size() - 1);
  ASSERT_TRUE(eventually([&] { return server.server().stats().bytes_in >= record.size() - 1; }));
  EXPECT_LE(server.server().stats().input_buffered_bytes, options.max_record_bytes + kReadChunk);
  c.send_bytes(record.data() + record.size() - 1, 1);
  EXPECT_EQ(c.read(), decode_flux(record));
  ASSERT_TRUE(eventually([&] { return server.server().stats().input_buffered_bytes == 0; }));
}

// Six clients stall inside 3 MiB of 4 MiB records against an 8 MiB budget:
// the server stops reading and closes the largest with server_busy; what it
// holds stays near the budget, and a healthy client is served throughout.
TEST(InputMemory, TheBudgetEvictsTheLargestStalledRecordsAndOthersAreServed) {
  auto options = test_options();
  options.max_record_bytes = 4u << 20;
  options.max_buffered_bytes = 8u << 20;
  TestServer server(options);
  const Bytes big = string_record((4u << 20) - 64);
  std::vector<std::unique_ptr<Client>> stallers;
  for (int i = 0; i < 6; ++i) stallers.push_back(std::make_unique<Client>(server.port()));
  // Interleaved 256 KiB steps, so all grow together.
  std::vector<std::size_t> sent(6, 0);
  for (std::size_t step = 0; step < 12; ++step)
    for (int i = 0; i < 6; ++i) sent[i] += offer(*stallers[i], big, sent[i], std::min<std::size_t>(sent[i] + 256 * 1024, 3u << 20), 200ms);
  ASSERT_TRUE(eventually([&] { return server.server().stats().server_busy >= 1; }));
  auto stats = server.server().stats();
  // The budget plus what reads already in flight may add (one read each).
  EXPECT_LE(stats.input_buffered_bytes, options.max_buffered_bytes + 6 * kReadChunk);

  int evicted = 0;
  for (auto& s : stallers) {
    Value v;
    if (s->next(v, 200ms) == Client::Next::record) {
      EXPECT_EQ(error_code_of(v), "server_busy") << v;
      ++evicted;
    }
  }
  EXPECT_GE(evicted, 1);
  EXPECT_EQ(static_cast<std::uint64_t>(evicted), server.server().stats().server_busy);

  Client healthy(server.port());
  healthy.send(Dict{{"op", "ping"}});
  EXPECT_EQ(healthy.read(), Value(Dict{{"pong", true}}));
  // A record needing its own buffer gets one (evicting another giant if need be).
  const Bytes medium = string_record(300'000);
  healthy.send_bytes(medium);
  Value echoed;
  ASSERT_EQ(healthy.next(echoed, 10s), Client::Next::record);
  EXPECT_EQ(echoed, decode_flux(medium));
  EXPECT_LE(server.server().stats().input_buffered_bytes, options.max_buffered_bytes + 6 * kReadChunk);
}

// The same, measured where it matters: the resident memory of a real server
// process while 40 clients stall inside 6 MiB of 8 MiB records (240 MiB
// offered) against a 64 MiB budget.
TEST(InputMemory, ServerResidentMemoryStaysWithinTheBudget) {
  if (!rss_is_meaningful) GTEST_SKIP() << "RSS is not the code's own under AddressSanitizer (checked in the plain build)";
  ServerProcess proc({"--port", "0", "--threads", "2", "--max-record-bytes", "8MiB", "--max-buffered-bytes", "64MiB"});
  const std::size_t rss_before = proc.rss_bytes();
  const Bytes big = string_record((8u << 20) - 64);
  constexpr int kStallers = 40;
  std::vector<std::unique_ptr<Client>> stallers;
  for (int i = 0; i < kStallers; ++i) stallers.push_back(std::make_unique<Client>(proc.port()));
  std::vector<std::size_t> sent(kStallers, 0);
  std::size_t peak = 0;
  for (int step = 0; step < 24; ++step) {
    for (int i = 0; i < kStallers; ++i)
      sent[i] += offer(*stallers[i], big, sent[i], std::min<std::size_t>(sent[i] + 256 * 1024, 6u << 20), 20ms);
    peak = std::max(peak, proc.rss_bytes());
    proc.log();  // evictions are warnings: keep the log pipe from filling
  }
  std::this_thread::sleep_for(300ms);
  peak = std::max(peak, proc.rss_bytes());
  // Budget + a small constant (reads in flight, allocator slack).
  EXPECT_LE(peak, rss_before + (64u << 20) + (16u << 20)) << "RSS before " << rss_before;

  Client healthy(proc.port());
  healthy.send(Dict{{"op", "ping"}});
  Value v;
  ASSERT_EQ(healthy.next(v, 10s), Client::Next::record);
  EXPECT_EQ(v, Value(Dict{{"pong", true}}));
}

// 50 clients that never read send 17-byte `info` requests, answered by
// records of several hundred bytes: what the server queues for each stays
// within one response of high_watermark, however many requests one read
// brought in.
TEST(OutputMemory, HighWatermarkHoldsPerRecord) {
  auto options = test_options();
  options.high_watermark = 8 * 1024;
  options.write_timeout = 20s;
  TestServer server(options);
  const Bytes info = encode_flux(Dict{{"op", "info"}});
  Bytes burst;
  for (int i = 0; i < 20'000; ++i) burst.insert(burst.end(), info.begin(), info.end());
  constexpr int kClients = 50;
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < kClients; ++i) {
    clients.push_back(std::make_unique<Client>(server.port(), true, 4096));
    offer(*clients.back(), burst, 0, burst.size(), 100ms);
  }
  // Let the server settle: it stops answering once a queue passes the watermark.
  std::this_thread::sleep_for(300ms);
  auto stats = server.server().stats();
  EXPECT_GT(stats.output_pending_bytes, 0u);
  EXPECT_LE(stats.output_pending_bytes, kClients * (options.high_watermark + 1024))
      << "records out " << stats.records_out;
  // Buffered requests are answered once a client reads.
  Value v;
  ASSERT_EQ(clients.front()->next(v, 5s), Client::Next::record);
  EXPECT_TRUE(v.is_dict() && v.find("server")) << v;
}

}  // namespace
}  // namespace crous::test
