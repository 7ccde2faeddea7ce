// LZ4-compressed connections: the hello negotiation, records both ways
// through python-lz4's stream format, compressed and plain clients side by
// side, hostile compressed streams (bad block, bomb, truncation), and
// backpressure. The peer is the test's POSIX client with the codec's LZ4
// stream classes (which the codec tests check against python-lz4's bytes).
#include <gtest/gtest.h>

#include <optional>
#include <string>
#include <vector>

#include "crous/flux.hpp"
#include "crous/lz4_stream.hpp"
#include "server_test_util.hpp"
#include "test_pki.hpp"
#include "tls_test_client.hpp"

namespace crous::test {
namespace {

// A Client that has said hello and, when the server agreed, speaks LZ4.
class Lz4Client {
 public:
  explicit Lz4Client(std::uint16_t port) : plain_(port) {}

  // Sends the hello and reads its (plain) answer.
  Value hello(const Value& request = Dict{{"op", "hello"}, {"compression", List{"lz4"}}}) {
    plain_.send(request);
    Value answer = plain_.read();
    if (const Value* c = answer.find("compression"); c && *c == Value("lz4")) {
      Lz4Format format;
      format.page_size = static_cast<std::size_t>(answer["page_size"].as_int());
      format.size_bytes = static_cast<unsigned>(answer["size_bytes"].as_int());
      out_.emplace(format);
      in_.emplace(format);
    }
    return answer;
  }

  bool compressed() const { return out_.has_value(); }

  // Compresses `records` (one block flush at the end, like a batch) and sends them.
  std::size_t send(const std::vector<Value>& records) {
    Bytes plain, wire;
    for (const Value& r : records) encode_flux(r, plain);
    out_->write(plain, wire);
    out_->flush(wire);
    plain_.send_bytes(wire);
    return wire.size();
  }
  void send_wire(const Bytes& wire) { plain_.send_bytes(wire); }

  // The next response, decompressed; nullopt when the server closed first.
  std::optional<Value> read(std::chrono::milliseconds timeout = 10s) {
    for (;;) {
      if (auto record = records_.next()) return decode_flux(*record);
      if (auto block = in_->next()) {
        records_.append(*block);
        continue;
      }
      Bytes raw;
      const auto got = plain_.receive_raw(raw, timeout);
      if (got != Client::Next::record) return std::nullopt;
      wire_in_ += raw.size();
      in_->append(raw);
    }
  }

  Client& socket() { return plain_; }
  std::size_t wire_bytes_in() const { return wire_in_; }

 private:
  Client plain_;
  std::optional<Lz4StreamCompressor> out_;
  std::optional<Lz4StreamDecompressor> in_;
  RecordBuffer records_;
  std::size_t wire_in_ = 0;
};

std::vector<Value> numbered(int from, int count) {
  std::vector<Value> out;
  for (int i = from; i < from + count; ++i)
    out.push_back(Dict{{"id", i}, {"user", "someone@example.com"}, {"tags", List{"alpha", "beta", "gamma"}},
                       {"payload", std::string(60, 'x')}});
  return out;
}

TEST(Compression, HelloSwitchesBothDirectionsToLz4) {
  TestServer server;
  Lz4Client c(server.port());
  Value answer = c.hello(Dict{{"op", "hello"}, {"compression", List{"zstd", "lz4"}}, {"id", 7}});
  EXPECT_EQ(answer["compression"], Value("lz4"));
  EXPECT_EQ(answer["protocol"], Value(1));
  EXPECT_EQ(answer["page_size"], Value(65536));
  EXPECT_EQ(answer["size_bytes"], Value(4));
  EXPECT_EQ(answer["id"], Value(7));
  ASSERT_TRUE(c.compressed());

  constexpr int kRecords = 2000;
  const auto records = numbered(0, kRecords);
  Bytes plain;
  for (const auto& r : records) encode_flux(r, plain);
  const std::size_t wire_out = c.send(records);
  for (int i = 0; i < kRecords; ++i) {
    auto v = c.read();
    ASSERT_TRUE(v) << "closed after " << i;
    ASSERT_EQ((*v)["id"], Value(i));
  }
  // Repetitive records: well under half their size on the wire, both ways.
  EXPECT_LT(wire_out, plain.size() / 2);
  EXPECT_LT(c.wire_bytes_in(), plain.size() / 2);
  // Ops work as usual inside the compressed stream.
  c.send({Dict{{"op", "ping"}}});
  EXPECT_EQ((*c.read())["pong"], Value(true));
}

TEST(Compression, PlainClientsAndServersWithCompressionOffAreUnaffected) {
  TestServer server;
  Lz4Client compressed(server.port());
  compressed.hello();
  Client plain(server.port());
  plain.send(Dict{{"op", "ping"}});
  EXPECT_EQ(plain.read()["pong"], Value(true));
  compressed.send({Dict{{"op", "ping"}}});
  EXPECT_EQ((*compressed.read())["pong"], Value(true));

  auto options = test_options();
  options.compression = config::Compression::off;
  TestServer off(options);
  Lz4Client asked(off.port());
  EXPECT_EQ(asked.hello()["compression"], Value("none"));
  EXPECT_FALSE(asked.compressed());
  asked.socket().send(Dict{{"op", "ping"}});
  EXPECT_EQ(asked.socket().read()["pong"], Value(true));
}

TEST(Compression, ConnectionsStayPlainWhenTheInputBudgetCannotHoldTheirPages) {
  auto options = test_options();
  options.max_buffered_bytes = 512 * 1024;  // one compressed connection's pages (~280 KiB), not two
  TestServer server(options);
  Lz4Client first(server.port());
  EXPECT_EQ(first.hello()["compression"], Value("lz4"));
  first.send({Dict{{"op", "ping"}}});
  EXPECT_EQ((*first.read())["pong"], Value(true));
  EXPECT_GE(server.server().stats().input_buffered_bytes, 4u * 65536);
  Lz4Client second(server.port());
  EXPECT_EQ(second.hello()["compression"], Value("none"));
  second.socket().send(Dict{{"op", "ping"}});
  EXPECT_EQ(second.socket().read()["pong"], Value(true));
}

TEST(Compression, HelloWithoutLz4OrNotFirstChangesNothing) {
  TestServer server;
  Lz4Client none(server.port());
  EXPECT_EQ(none.hello(Dict{{"op", "hello"}})["compression"], Value("none"));
  none.socket().send(Dict{{"op", "ping"}});
  EXPECT_EQ(none.socket().read()["pong"], Value(true));

  Client late(server.port());
  late.send(Dict{{"op", "ping"}});
  late.read();
  late.send(Dict{{"op", "hello"}, {"compression", List{"lz4"}}});
  EXPECT_EQ(error_code_of(late.read()), "bad_request");
  late.send(Dict{{"op", "ping"}});
  EXPECT_EQ(late.read()["pong"], Value(true));  // still plain, still open
}

TEST(Compression, ABlockThatDoesNotDecompressGetsACompressedErrorAndClose) {
  TestServer server;
  Client bystander(server.port());
  Lz4Client c(server.port());
  c.hello();
  c.send({Dict{{"op", "ping"}}});
  EXPECT_EQ((*c.read())["pong"], Value(true));
  // A size prefix of 40 and 40 bytes that are not an LZ4 block.
  Bytes bad = {40, 0, 0, 0};
  bad.insert(bad.end(), 40, 0xff);
  c.send_wire(bad);
  auto error = c.read();
  ASSERT_TRUE(error);
  EXPECT_EQ(error_code_of(*error), "decode_error");
  EXPECT_NE((*error)["error"]["message"].as_string().find("LZ4"), std::string::npos) << (*error)["error"]["message"].as_string();
  EXPECT_FALSE(c.read(5s));  // then the close
  bystander.send(Dict{{"op", "ping"}});
  EXPECT_EQ(bystander.read()["pong"], Value(true));
}

TEST(Compression, AnOversizedSizePrefixIsRefused) {
  TestServer server;
  Lz4Client c(server.port());
  c.hello();
  c.send_wire({0xff, 0xff, 0xff, 0x7f, 1, 2, 3});  // ~2 GiB "block"
  auto error = c.read();
  ASSERT_TRUE(error);
  EXPECT_EQ(error_code_of(*error), "decode_error");
  EXPECT_FALSE(c.read(5s));
}

TEST(Compression, ADecompressionBombHitsTheRecordLimitNotMemory) {
  auto options = test_options();
  options.max_record_bytes = 256 * 1024;
  TestServer server(options);
  Lz4Client c(server.port());
  c.hello();
  // One 64 MiB string record: it compresses to about 256 KiB.
  const Value bomb = Dict{{"bomb", std::string(64u << 20, 'a')}};
  const std::size_t wire = c.send({bomb});
  EXPECT_LT(wire, 512u * 1024);
  auto error = c.read(30s);
  ASSERT_TRUE(error);
  EXPECT_EQ(error_code_of(*error), "record_too_large");
  EXPECT_FALSE(c.read(5s));
  // Bounded by the record limit, not by what the bomb expands to.
  EXPECT_LE(server.server().stats().input_buffered_bytes, 2u << 20);
}

TEST(Compression, TruncationInsideABlockIsADecodeError) {
  TestServer server;
  Lz4Client c(server.port());
  c.hello();
  Lz4StreamCompressor compressor;
  Bytes plain, wire;
  encode_flux(Value(Dict{{"op", "ping"}}), plain);
  compressor.write(plain, wire);
  compressor.flush(wire);
  wire.pop_back();  // cut the block short
  c.send_wire(wire);
  c.socket().shutdown_write();
  auto error = c.read();
  ASSERT_TRUE(error);
  EXPECT_EQ(error_code_of(*error), "decode_error");
  EXPECT_NE((*error)["error"]["message"].as_string().find("truncated"), std::string::npos)
      << (*error)["error"]["message"].as_string();
}

// The whole stack: TCP, TLS, LZ4, FLUX records.
TEST(Compression, Lz4InsideTls) {
  TestPki pki;
  auto server_cert = pki.issue_server();
  auto options = test_options();
  options.tls_port = 0;
  options.tls_cert_file = server_cert.cert.string();
  options.tls_key_file = server_cert.key.string();
  TestServer server(options);
  TlsClient c(server.server().tls_port(), {.ca_file = pki.ca_cert().string()});
  c.connect();
  c.send(Dict{{"op", "hello"}, {"compression", List{"lz4"}}});
  Value answer = c.read();
  ASSERT_EQ(answer["compression"], Value("lz4"));
  Lz4StreamCompressor out;
  Lz4StreamDecompressor in;
  Bytes plain, wire;
  for (const auto& r : numbered(0, 1000)) encode_flux(r, plain);
  out.write(plain, wire);
  out.flush(wire);
  c.send_bytes(wire);
  RecordBuffer records;
  int answered = 0;
  while (answered < 1000) {
    if (auto record = records.next()) {
      ASSERT_EQ(decode_flux(*record)["id"], Value(answered));
      ++answered;
      continue;
    }
    if (auto block = in.next()) {
      records.append(*block);
      continue;
    }
    Bytes raw;
    ASSERT_EQ(c.receive_raw(raw), TlsClient::Next::record) << c.last_error();
    in.append(raw);
  }
}

TEST(Compression, BackpressureHoldsOnACompressedConnection) {
  auto options = test_options();
  options.high_watermark = 64 * 1024;
  TestServer server(options);
  Lz4Client c(server.port());
  c.hello();
  constexpr int kBatches = 10, kPerBatch = 500;  // 5,000 records (~2.5x the watermark back), read only after all are sent
  int sent = 0;
  for (int b = 0; b < kBatches; ++b) {
    c.send(numbered(sent, kPerBatch));
    sent += kPerBatch;
  }
  for (int i = 0; i < sent; ++i) {
    auto v = c.read();
    ASSERT_TRUE(v) << i;
    ASSERT_EQ((*v)["id"], Value(i));
  }
}

}  // namespace
}  // namespace crous::test
