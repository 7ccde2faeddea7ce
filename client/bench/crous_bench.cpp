// crous-bench: load generator for crous-server (and, for comparison, for a
// Redis server doing SET with the same payload, through the same client).
//
//   crous-bench --connections 50 --pipeline 64 --record-size 130 --duration 10
//   crous-bench --protocol redis --port 6379 --connections 50 --pipeline 64 --record-size 130
//
// Each connection sends a batch of `pipeline` requests, waits for all their
// responses, and repeats (the redis-benchmark -P model). Latency of a request
// is the time from its batch being sent to its response arriving; it goes
// into a log-linear histogram (<1% bucket error).
//
// Connection-memory mode: what the server pays, in resident memory, for each
// open connection, idle and after it has been answered once:
//
//   crous-bench --hold-connections 10000 --server-pid PID [--requests-per-connection 1]
//   crous-bench --protocol redis --port 6379 --hold-connections 10000 --server-pid PID
//
// It reads the server's VmRSS before connecting, once all N connections are
// open and accepted (settled), and once each has sent `requests-per-connection`
// pings ({"op":"ping"} or PING) and had them answered (settled again), and
// prints the growth per connection. The server runs on this machine (its
// /proc entry is read) with an open-file limit and connection cap above N;
// this program raises its own soft open-file limit to the hard one.
//
// Connection-rate mode: each of `connections` workers opens a connection,
// sends one ping, reads the answer, closes, and starts over, for `duration`
// seconds; it prints completed connections per second. Over TLS every
// connection is a full handshake: the client never offers a session to resume.
//
//   crous-bench --handshakes --tls --cacert ca.pem --port 7879 --connections 50 --duration 5
//
// TLS (--tls, with --cacert/--cert/--key/--servername/--insecure) works in
// every mode and for both protocols. The connections are set up by the client
// library's make_tls_context/prepare_tls_connection, so the benchmark verifies
// and negotiates exactly as crous clients do.
//
// Compression (--compress lz4, crous throughput mode): each connection sends
// the hello first (crous/client/compression.hpp, as the clients do); the
// batches then go out as one LZ4 block each and the responses are
// decompressed. Every run reports the bytes on the wire per record both ways
// (and, compressed, what they decompress to). Record shapes (--records):
// padded (default: one request of --record-size bytes, padded with 'x',
// sent again and again), users (the codec benchmark's 20,000 user records,
// ~125 bytes) and orders (2,000 order records of ~2 KB, repetitive in keys
// and text); with users and orders every request of a batch is the next
// record of the corpus, so no two neighbours are the same.
#include <sys/resource.h>

#include <openssl/ssl.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <fstream>
#include <optional>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <type_traits>
#include <vector>

#include "corpus.hpp"
#include "crous/cli/args.hpp"
#include "crous/client/compression.hpp"
#include "crous/client/error.hpp"
#include "crous/client/options.hpp"
#include "crous/client/tls.hpp"
#include "crous/flux.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/record_buffer.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
namespace ssl = asio::ssl;
using Clock = std::chrono::steady_clock;
using TlsStream = ssl::stream<tcp::socket>;

struct Settings {
  std::string host = "127.0.0.1";
  std::string port = "7878";
  std::string protocol = "crous";  // crous | redis
  std::string op = "echo";
  unsigned connections = 50;
  unsigned pipeline = 1;
  std::size_t record_size = 130;
  std::string records = "padded";  // padded | users | orders
  bool compress = false;           // --compress lz4
  double duration = 10;
  double warmup = 1;
  unsigned threads = 1;
  // Connection-memory mode (on when hold_connections > 0).
  unsigned hold_connections = 0;
  unsigned requests_per_connection = 1;
  long server_pid = 0;
  double settle = 1;              // seconds between the last connect/answer and reading VmRSS
  unsigned connect_batch = 500;  // connects in flight at once
  double time_limit = 120;       // the whole measurement, or it fails
  // Connection-rate mode: connect, one ping, close, repeat.
  bool handshakes = false;
  crous::client::TlsOptions tls;
};

// ---- plain and TLS streams ----
// The connection classes below are templates on the stream type, tcp::socket
// or TlsStream; these helpers are the only places where the two differ.

template <class Stream>
inline constexpr bool is_tls = std::is_same_v<Stream, TlsStream>;

// What every TLS connection of a run shares; unused by plain runs.
struct TlsSetup {
  std::shared_ptr<ssl::context> context;
  crous::client::TlsOptions options;
  std::string host;  // the name given to prepare_tls_connection (SNI, verification)
};

// A new, unconnected stream. For TLS: SNI and the certificate name check are
// set up as the clients do (throws ClientError(tls_config) if the name is unusable).
template <class Stream>
Stream make_stream(asio::io_context& ctx, const TlsSetup& tls) {
  if constexpr (is_tls<Stream>) {
    Stream stream(ctx, *tls.context);
    crous::client::prepare_tls_connection(stream.native_handle(), tls.options, tls.host);
    return stream;
  } else {
    return Stream(ctx);
  }
}

// Connects, sets TCP_NODELAY and, for TLS, completes the handshake.
// Blocking; throws with the reason.
template <class Stream>
void connect_stream(Stream& stream, const tcp::resolver::results_type& endpoints) {
  asio::connect(stream.lowest_layer(), endpoints);
  stream.lowest_layer().set_option(tcp::no_delay(true));
  if constexpr (is_tls<Stream>) {
    boost::system::error_code ec;
    stream.handshake(ssl::stream_base::client, ec);
    if (ec) {
      throw std::runtime_error("TLS handshake failed: " +
                               crous::client::describe_tls_failure(ec, stream.native_handle()));
    }
  }
}

class Histogram {
 public:
  static constexpr int kSubBits = 7;
  Histogram() : counts_(64 << (kSubBits - 1), 0) {}
  void record(std::uint64_t ns) {
    ++counts_[std::min(index(ns), counts_.size() - 1)];
    ++total_;
  }
  void merge(const Histogram& o) {
    for (std::size_t i = 0; i < counts_.size(); ++i) counts_[i] += o.counts_[i];
    total_ += o.total_;
  }
  std::uint64_t total() const { return total_; }
  double percentile_us(double p) const {
    if (total_ == 0) return 0;
    auto rank = static_cast<std::uint64_t>(p / 100.0 * static_cast<double>(total_ - 1)) + 1;
    std::uint64_t seen = 0;
    for (std::size_t i = 0; i < counts_.size(); ++i) {
      seen += counts_[i];
      if (seen >= rank) return static_cast<double>(midpoint(i)) / 1000.0;
    }
    return 0;
  }

 private:
  // Exact below 2^kSubBits ns; above, 2^(kSubBits-1) buckets per power of two.
  static std::size_t index(std::uint64_t v) {
    if (v < (1u << kSubBits)) return v;
    int msb = 63 - __builtin_clzll(v);
    int shift = msb - kSubBits + 1;
    return (static_cast<std::size_t>(shift) << (kSubBits - 1)) + (v >> shift);
  }
  static std::uint64_t midpoint(std::size_t idx) {
    if (idx < (1u << kSubBits)) return idx;
    std::size_t shift = (idx >> (kSubBits - 1)) - 1;
    std::uint64_t top = idx - (shift << (kSubBits - 1));
    return (top << shift) + (std::uint64_t{1} << (shift - 1));
  }
  std::vector<std::uint64_t> counts_;
  std::uint64_t total_ = 0;
};

struct Shared {
  Clock::time_point measure_from;
  Clock::time_point stop_at;
  std::atomic<std::uint64_t> errors{0};
  std::vector<crous::Bytes> corpus;  // --records users|orders: the requests, in order
};

// Bytes and records of one connection over the whole run (warm-up
// included): the requests and responses, on the wire and uncompressed.
struct Traffic {
  std::uint64_t requests = 0;
  std::uint64_t responses = 0;
  std::uint64_t wire_sent = 0;
  std::uint64_t wire_received = 0;
  std::uint64_t plain_sent = 0;
  std::uint64_t plain_received = 0;

  void add(const Traffic& o) {
    requests += o.requests;
    responses += o.responses;
    wire_sent += o.wire_sent;
    wire_received += o.wire_received;
    plain_sent += o.plain_sent;
    plain_received += o.plain_received;
  }
};

// One request of exactly `size` bytes where the format allows it.
crous::Bytes crous_request(const Settings& s, unsigned id) {
  std::size_t pad = 0;
  for (int attempt = 0; attempt < 4; ++attempt) {
    crous::Value v = crous::Dict{{"op", s.op}, {"id", static_cast<std::int64_t>(id)}, {"data", std::string(pad, 'x')}};
    crous::Bytes b = crous::encode_flux(v);
    if (b.size() == s.record_size) return b;
    if (b.size() < s.record_size) pad += s.record_size - b.size();
    else if (pad > 0) pad -= std::min(pad, b.size() - s.record_size);
    else return b;  // smaller than the smallest possible record
  }
  return crous::encode_flux(crous::Dict{{"op", s.op}, {"id", static_cast<std::int64_t>(id)}, {"data", std::string(pad, 'x')}});
}

// The users and orders corpora as FLUX requests (with "op"), made once and
// shared read-only by every connection.
std::vector<crous::Bytes> corpus_requests(const Settings& s) {
  std::vector<crous::Bytes> requests;
  auto add = [&](crous::Value record) {
    record.as_dict().insert_or_assign("op", s.op);
    requests.push_back(crous::encode_flux(record));
  };
  if (s.records == "users")
    for (std::uint64_t i = 0; i < crous::bench::corpus_records; ++i) add(crous::bench::corpus_record(i));
  if (s.records == "orders")
    for (std::uint64_t i = 0; i < crous::bench::order_records; ++i) add(crous::bench::order_record(i));
  return requests;
}

std::string redis_request(const Settings& s, unsigned id) {
  std::string key = "key:" + std::to_string(id);
  std::string value(s.record_size, 'x');
  return "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" + std::to_string(value.size()) +
         "\r\n" + value + "\r\n";
}

template <class Stream>
class Connection : public std::enable_shared_from_this<Connection<Stream>> {
 public:
  Connection(asio::io_context& ctx, const TlsSetup& tls, const Settings& s, Shared& shared, Histogram& hist,
             unsigned id)
      : stream_(make_stream<Stream>(ctx, tls)), settings_(s), shared_(shared), hist_(hist), in_(256 * 1024) {
    if (s.protocol == "redis") {
      std::string one = redis_request(s, id);
      for (unsigned i = 0; i < s.pipeline; ++i) batch_.insert(batch_.end(), one.begin(), one.end());
    } else if (!shared.corpus.empty()) {
      // Connections start at different places of the corpus.
      next_record_ = (static_cast<std::size_t>(id) * 7919) % shared.corpus.size();
      request_ = shared.corpus[next_record_];
    } else {
      request_ = crous_request(s, id);
      for (unsigned i = 0; i < s.pipeline; ++i) batch_.insert(batch_.end(), request_.begin(), request_.end());
    }
  }

  // Connects (and over TLS shakes hands), says hello when compressing; blocking.
  void start(const tcp::resolver::results_type& endpoints) {
    connect_stream(stream_, endpoints);
    if (settings_.compress) hello();
    send_batch();
  }

  std::uint64_t completed = 0;
  Traffic traffic;

 private:
  // The hello and its answer, plain, before any request; what the answer
  // means is decided by the client library's parse_hello_answer.
  void hello() {
    asio::write(stream_, asio::buffer(crous::encode_flux(crous::client::hello_request(crous::client::Compression::lz4))));
    crous::RecordBuffer answer_bytes;
    for (;;) {
      if (auto record = answer_bytes.next()) {
        const auto answer = crous::client::parse_hello_answer(crous::decode_flux(*record),
                                                              crous::client::Compression::lz4, settings_.host);
        if (answer.compression != crous::client::Compression::lz4)
          throw std::runtime_error("the server answered the hello with compression none (is its compression off?)");
        lz4_out_.emplace(answer.format);
        lz4_in_.emplace(answer.format);
        lz4_in_->append(answer_bytes.unconsumed());  // the byte after the answer is compressed
        return;
      }
      const auto space = answer_bytes.prepare();
      answer_bytes.commit(stream_.read_some(asio::buffer(space.data(), space.size())));
    }
  }

  void send_batch() {
    if (Clock::now() >= shared_.stop_at) return;
    pending_ = settings_.pipeline;
    sent_at_ = Clock::now();
    if (!shared_.corpus.empty()) {
      batch_.clear();
      for (unsigned i = 0; i < settings_.pipeline; ++i) {
        const auto& record = shared_.corpus[next_record_];
        batch_.insert(batch_.end(), record.begin(), record.end());
        next_record_ = (next_record_ + 1) % shared_.corpus.size();
      }
    }
    const std::vector<std::uint8_t>* out = &batch_;
    if (lz4_out_) {
      // The LZ4 stream goes on from batch to batch, so each is compressed
      // afresh; one block per batch, as the clients end one per write.
      wire_.clear();
      lz4_out_->write(batch_, wire_);
      lz4_out_->flush(wire_);
      out = &wire_;
    }
    traffic.requests += settings_.pipeline;
    traffic.plain_sent += batch_.size();
    traffic.wire_sent += out->size();
    // One contiguous buffer: ssl::stream's async_write_some sends only the
    // first buffer of a sequence, so a sequence would cost a TLS record and a
    // write per buffer.
    auto self = this->shared_from_this();
    asio::async_write(stream_, asio::buffer(*out), [self](boost::system::error_code ec, std::size_t) {
      if (ec) return self->fail("write", ec);
      self->read_more();
    });
  }

  void read_more() {
    auto self = this->shared_from_this();
    stream_.async_read_some(asio::buffer(in_), [self](boost::system::error_code ec, std::size_t n) {
      if (ec) return self->fail("read", ec);
      self->on_data(n);
    });
  }

  // The connection stops; its reason is printed once (over TLS it is often
  // the server's alert, e.g. a client certificate it requires).
  void fail(const char* what, const boost::system::error_code& ec) {
    std::cerr << "crous-bench: " << what << ": " << ec.message() << "\n";
    ++shared_.errors;
  }

  void on_data(std::size_t n) {
    traffic.wire_received += n;
    unsigned responses = settings_.protocol == "redis" ? count_lines(n)
                         : lz4_out_                    ? count_compressed_records(n)
                                                       : count_records({in_.data(), n});
    if (responses == ~0u) return;
    traffic.responses += responses;
    auto now = Clock::now();
    if (now >= shared_.measure_from && now < shared_.stop_at) {
      auto ns = static_cast<std::uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(now - sent_at_).count());
      for (unsigned i = 0; i < responses; ++i) hist_.record(ns);
      completed += responses;
    }
    if (responses > pending_) {
      std::cerr << "crous-bench: more responses than requests in flight\n";
      ++shared_.errors;
      return;
    }
    pending_ -= responses;
    if (pending_ == 0) send_batch();
    else read_more();
  }

  unsigned count_lines(std::size_t n) {
    unsigned lines = 0;
    for (std::size_t i = 0; i < n; ++i) {
      if (in_[i] == '-') ++shared_.errors;
      lines += in_[i] == '\n';
    }
    traffic.plain_received += n;
    return lines;
  }

  // Decompresses what arrived one block at a time, framing each block's
  // responses before the next (as the clients do).
  unsigned count_compressed_records(std::size_t n) {
    unsigned records = 0;
    try {
      lz4_in_->append({in_.data(), n});
      while (auto block = lz4_in_->next()) {
        const unsigned more = count_records(*block);
        if (more == ~0u) return more;
        records += more;
      }
    } catch (const crous::DecodeError& e) {
      std::cerr << "crous-bench: bad compressed response stream: " << e.what() << "\n";
      ++shared_.errors;
      return ~0u;
    }
    return records;
  }

  unsigned count_records(std::span<const std::uint8_t> got) {
    traffic.plain_received += got.size();
    unsigned records = 0;
    if (responses_.empty()) responses_.borrow(got);  // the usual case: whole responses, framed in place
    else responses_.append(got);
    try {
      while (auto record = responses_.next()) {
        // Echo answers with the request itself: check it once per connection.
        if (!checked_ && settings_.op == "echo") {
          checked_ = true;
          if (record->size() != request_.size() || std::memcmp(record->data(), request_.data(), request_.size()) != 0) {
            std::cerr << "crous-bench: first echo response differs from the request\n";
            ++shared_.errors;
          }
        }
        ++records;
      }
    } catch (const crous::DecodeError& e) {
      std::cerr << "crous-bench: bad response: " << e.what() << "\n";
      ++shared_.errors;
      return ~0u;
    }
    responses_.keep_rest();
    return records;
  }

  Stream stream_;
  const Settings& settings_;
  Shared& shared_;
  Histogram& hist_;
  std::vector<std::uint8_t> batch_;  // the requests of a batch, uncompressed
  crous::Bytes request_;             // the connection's first request (the echo check)
  std::size_t next_record_ = 0;      // users/orders: the corpus record the next request is
  std::optional<crous::Lz4StreamCompressor> lz4_out_;  // --compress lz4, after the hello
  std::optional<crous::Lz4StreamDecompressor> lz4_in_;
  crous::Bytes wire_;  // compressed: the batch as sent
  std::vector<std::uint8_t> in_;
  crous::RecordBuffer responses_;
  unsigned pending_ = 0;
  bool checked_ = false;
  Clock::time_point sent_at_;
};

// ---- connection-memory mode ----

// One line of /proc/PID/status ("VmRSS:  1234 kB"), in KiB; -1 if absent.
long proc_status_kib(long pid, const char* field) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  const std::size_t len = std::strlen(field);
  while (std::getline(in, line))
    if (line.compare(0, len, field) == 0 && line.size() > len && line[len] == ':') return std::stol(line.substr(len + 1));
  return -1;
}

// Open descriptors of the server: how we know it has accepted every
// connection (the kernel completes handshakes for the backlog on its own, so
// a finished connect() does not mean the server has a session for it yet).
long open_fds(long pid) {
  std::error_code ec;
  long n = 0;
  for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
       it.increment(ec))
    ++n;
  return ec ? -1 : n;
}

struct Rss {
  long rss = -1;   // VmRSS
  long anon = -1;  // RssAnon: the heap part of it (the rest is mapped files)
};

Rss rss_of(long pid) { return {proc_status_kib(pid, "VmRSS"), proc_status_kib(pid, "RssAnon")}; }

// 10,000 sockets on one side of the loopback and 10,000 on the other: the
// default soft limit (1024) is far too low, the hard limit usually is not.
unsigned raise_fd_limit() {
  rlimit lim{};
  if (getrlimit(RLIMIT_NOFILE, &lim) != 0) return 0;
  if (lim.rlim_cur < lim.rlim_max) {
    lim.rlim_cur = lim.rlim_max;
    setrlimit(RLIMIT_NOFILE, &lim);
    getrlimit(RLIMIT_NOFILE, &lim);
  }
  return lim.rlim_cur > 1'000'000 ? 1'000'000u : static_cast<unsigned>(lim.rlim_cur);
}

// A connection that only connects and then pings, one request at a time.
// Small on purpose: the client holds 10,000 of them (connection-memory mode),
// or opens and closes them as fast as the server lets it (connection-rate mode).
template <class Stream>
class PingConnection : public std::enable_shared_from_this<PingConnection<Stream>> {
 public:
  PingConnection(asio::io_context& ctx, const TlsSetup& tls, const Settings& s)
      : stream_(make_stream<Stream>(ctx, tls)), settings_(s) {}

  // TCP connect, TCP_NODELAY and, for TLS, the handshake.
  void connect(const tcp::endpoint& to, std::function<void(bool)> done) {
    stream_.lowest_layer().async_connect(
        to, [self = this->shared_from_this(), done = std::move(done)](boost::system::error_code ec) mutable {
          if (!ec) self->stream_.lowest_layer().set_option(tcp::no_delay(true), ec);
          if (ec) {
            std::cerr << "crous-bench: connect: " << ec.message() << "\n";
            return done(false);
          }
          if constexpr (is_tls<Stream>) self->handshake(std::move(done));
          else done(true);
        });
  }

  // Sends `count` pings one after another, each after the previous answer.
  void ping(unsigned count, std::function<void(bool)> done) {
    if (count == 0) return done(true);
    asio::async_write(stream_, asio::buffer(request()),
                      [self = this->shared_from_this(), count, done = std::move(done)](boost::system::error_code ec,
                                                                                       std::size_t) mutable {
                        if (ec) {
                          std::cerr << "crous-bench: write: " << ec.message() << "\n";
                          return done(false);
                        }
                        self->await_answer(count, std::move(done));
                      });
  }

  void close() {
    boost::system::error_code ec;
    stream_.lowest_layer().close(ec);
  }

  // Ends the connection as a well-behaved client does: over TLS, close_notify
  // first, and the socket closed once the server has answered it or closed
  // its side (the outcome is ignored: the exchange was already complete).
  void shut_down(std::function<void()> done) {
    if constexpr (is_tls<Stream>) {
      stream_.async_shutdown([self = this->shared_from_this(), done = std::move(done)](boost::system::error_code) {
        self->close();
        done();
      });
    } else {
      close();
      done();
    }
  }

 private:
  const std::vector<std::uint8_t>& request() const {
    static const std::vector<std::uint8_t> crous = crous::encode_flux(crous::Dict{{"op", "ping"}});
    static const std::vector<std::uint8_t> redis = [] {
      std::string_view ping = "*1\r\n$4\r\nPING\r\n";
      return std::vector<std::uint8_t>(ping.begin(), ping.end());
    }();
    return settings_.protocol == "redis" ? redis : crous;
  }

  void handshake(std::function<void(bool)> done) {
    stream_.async_handshake(ssl::stream_base::client, [self = this->shared_from_this(), done = std::move(done)](
                                                          boost::system::error_code ec) {
      if (ec)
        std::cerr << "crous-bench: TLS handshake failed: "
                  << crous::client::describe_tls_failure(ec, self->stream_.native_handle()) << "\n";
      done(!ec);
    });
  }

  void await_answer(unsigned count, std::function<void(bool)> done) {
    stream_.async_read_some(asio::buffer(in_), [self = this->shared_from_this(), count, done = std::move(done)](
                                                   boost::system::error_code ec, std::size_t n) mutable {
      if (ec) {
        std::cerr << "crous-bench: read: " << ec.message() << "\n";
        return done(false);
      }
      int answered = self->answered(n);
      if (answered < 0) return done(false);
      if (answered == 0) return self->await_answer(count, std::move(done));
      self->ping(count - 1, std::move(done));
    });
  }

  // 1 once the answer is complete, 0 for more bytes, -1 if it is wrong.
  int answered(std::size_t n) {
    const std::span<const std::uint8_t> got(in_.data(), n);
    if (settings_.protocol == "redis") {
      redis_answer_.append(got.begin(), got.end());
      if (redis_answer_.size() < 2 || redis_answer_.compare(redis_answer_.size() - 2, 2, "\r\n") != 0) return 0;
      bool ok = redis_answer_ == "+PONG\r\n";
      if (!ok) std::cerr << "crous-bench: unexpected answer to PING: " << redis_answer_ << "\n";
      redis_answer_.clear();
      return ok ? 1 : -1;
    }
    responses_.append(got);
    try {
      auto record = responses_.next();
      if (!record) return 0;
      crous::Value v = crous::decode_flux(*record);
      const crous::Value* pong = v.find("pong");
      if (pong == nullptr) {
        std::cerr << "crous-bench: unexpected answer to ping\n";
        return -1;
      }
    } catch (const crous::DecodeError& e) {
      std::cerr << "crous-bench: bad response: " << e.what() << "\n";
      return -1;
    }
    responses_.keep_rest();
    // Give the buffer back: the client's own memory is not what we measure,
    // but 10,000 idle buffers would still be a waste.
    if (responses_.empty()) responses_.release();
    return 1;
  }

  Stream stream_;
  const Settings& settings_;
  std::array<std::uint8_t, 256> in_{};
  crous::RecordBuffer responses_;
  std::string redis_answer_;
};

// Runs `step(i, done)` for every connection, at most `batch` in flight, until
// all are done or the deadline passes. After each connect batch, waits for the
// server to have accepted them (its descriptor count), so no connection sits in
// an overflowing backlog. False on any failure or timeout.
bool for_each_batched(asio::io_context& ctx, const Settings& s, std::size_t count, Clock::time_point deadline,
                      const std::function<void(std::size_t, std::function<void(bool)>)>& step, long server_fds_before) {
  // Shared: after a timeout, handlers still pending run (aborted) later.
  struct Progress {
    std::size_t outstanding = 0;
    unsigned failed = 0;
  };
  auto progress = std::make_shared<Progress>();
  std::size_t next = 0;
  while (next < count) {
    std::size_t end = std::min(count, next + s.connect_batch);
    progress->outstanding = end - next;
    for (; next < end; ++next)
      step(next, [progress](bool ok) {
        --progress->outstanding;
        progress->failed += !ok;
      });
    ctx.restart();
    while (progress->outstanding > 0 && Clock::now() < deadline) ctx.run_one_until(deadline);
    if (progress->outstanding > 0 || progress->failed > 0) {
      std::cerr << "crous-bench: " << (progress->outstanding > 0 ? "timed out" : "failed") << " at connection "
                << next << " (" << progress->failed << " failed)\n";
      return false;
    }
    if (server_fds_before >= 0) {
      const long want = server_fds_before + static_cast<long>(end);
      long fds = open_fds(s.server_pid);
      while (fds >= 0 && fds < want && Clock::now() < deadline) {
        std::this_thread::sleep_for(std::chrono::milliseconds(2));
        fds = open_fds(s.server_pid);
      }
      if (fds < want) {
        std::cerr << "crous-bench: the server accepted " << fds - server_fds_before << " of " << end
                  << " connections (max connections? fd limit?)\n";
        return false;
      }
    }
  }
  return true;
}

double per_connection_kib(long before, long after, unsigned n) {
  return before < 0 || after < 0 ? 0.0 : static_cast<double>(after - before) / static_cast<double>(n);
}

template <class Stream>
int run_hold(const Settings& s, const TlsSetup& tls) {
  const unsigned n = s.hold_connections;
  const unsigned fd_limit = raise_fd_limit();
  if (fd_limit < n + 64) {
    std::cerr << "crous-bench: open-file limit " << fd_limit << " is too low for " << n
              << " connections (raise the hard limit: ulimit -Hn)\n";
    return 1;
  }
  if (s.server_pid <= 0 || proc_status_kib(s.server_pid, "VmRSS") < 0) {
    std::cerr << "crous-bench: --hold-connections needs --server-pid of a running server on this machine\n";
    return 2;
  }
  auto settle = [&] { std::this_thread::sleep_for(std::chrono::duration<double>(s.settle)); };
  const auto started = Clock::now();
  const auto deadline = started + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.time_limit));

  asio::io_context ctx(1);
  tcp::endpoint endpoint;
  try {
    tcp::resolver resolver(ctx);
    endpoint = *resolver.resolve(s.host, s.port).begin();
  } catch (const std::exception& e) {
    std::cerr << "crous-bench: cannot resolve " << s.host << ":" << s.port << ": " << e.what() << "\n";
    return 1;
  }

  const Rss before = rss_of(s.server_pid);
  const long fds_before = open_fds(s.server_pid);
  std::vector<std::shared_ptr<PingConnection<Stream>>> conns;
  conns.reserve(n);
  for (unsigned i = 0; i < n; ++i) conns.push_back(std::make_shared<PingConnection<Stream>>(ctx, tls, s));

  bool ok = for_each_batched(
      ctx, s, n, deadline, [&](std::size_t i, std::function<void(bool)> done) { conns[i]->connect(endpoint, std::move(done)); },
      fds_before);
  const double connect_s = std::chrono::duration<double>(Clock::now() - started).count();
  settle();
  const Rss idle = rss_of(s.server_pid);

  Rss answered = idle;
  if (ok && s.requests_per_connection > 0) {
    ok = for_each_batched(
        ctx, s, n, deadline,
        [&](std::size_t i, std::function<void(bool)> done) { conns[i]->ping(s.requests_per_connection, std::move(done)); },
        -1);
    settle();
    answered = rss_of(s.server_pid);
  }

  // What the server keeps after the connections are gone (allocator caches,
  // memory it never gives back).
  for (auto& c : conns) c->close();
  conns.clear();
  ctx.restart();
  ctx.poll();
  settle();
  const Rss closed = rss_of(s.server_pid);

  std::printf("protocol=%s tls=%s hold_connections=%u requests_per_connection=%u server_pid=%ld connect_time=%.2fs "
              "settle=%.1fs\n",
              s.protocol.c_str(), is_tls<Stream> ? "on" : "off", n, s.requests_per_connection, s.server_pid, connect_s,
              s.settle);
  std::printf("server_rss_kib before=%ld idle=%ld answered=%ld closed=%ld\n", before.rss, idle.rss, answered.rss,
              closed.rss);
  std::printf("server_rss_anon_kib before=%ld idle=%ld answered=%ld closed=%ld\n", before.anon, idle.anon,
              answered.anon, closed.anon);
  std::printf("per_connection_kib idle=%.2f answered=%.2f anon_idle=%.2f anon_answered=%.2f%s\n",
              per_connection_kib(before.rss, idle.rss, n), per_connection_kib(before.rss, answered.rss, n),
              per_connection_kib(before.anon, idle.anon, n), per_connection_kib(before.anon, answered.anon, n),
              ok ? "" : " (incomplete: see errors above)");
  return ok ? 0 : 1;
}

// ---- throughput and connection-rate modes ----

// In-flight work gets this long after the end of the measurement; a server
// that stops answering cannot hang the run.
constexpr std::chrono::seconds kDrainLimit{10};

// Runs each context on its own thread until it runs out of work or `deadline`
// passes. False if any context still had work at the deadline.
bool run_all(const std::vector<std::unique_ptr<asio::io_context>>& contexts, Clock::time_point deadline) {
  std::atomic<bool> late{false};
  std::vector<std::thread> threads;
  for (auto& ctx : contexts)
    threads.emplace_back([c = ctx.get(), deadline, &late] {
      c->run_until(deadline);
      if (!c->stopped()) late = true;
    });
  for (auto& t : threads) t.join();
  if (late)
    std::cerr << "crous-bench: connections still busy " << kDrainLimit.count() << " s after the end (server stalled?)\n";
  return !late;
}

void set_times(const Settings& s, Shared& shared) {
  const auto start = Clock::now();
  shared.measure_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.warmup));
  shared.stop_at =
      shared.measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.duration));
}

std::vector<std::unique_ptr<asio::io_context>> make_contexts(unsigned n) {
  std::vector<std::unique_ptr<asio::io_context>> contexts;
  for (unsigned t = 0; t < n; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
  return contexts;
}

template <class Stream>
int run_throughput(const Settings& s, const TlsSetup& tls) {
  Shared shared;
  if (s.protocol == "crous") shared.corpus = corpus_requests(s);
  set_times(s, shared);
  // Declared before the connections: pending handlers own connections, so
  // the contexts must outlive the vector.
  auto contexts = make_contexts(s.threads);
  std::vector<Histogram> hists(s.threads);
  std::vector<std::shared_ptr<Connection<Stream>>> conns;
  try {
    tcp::resolver resolver(*contexts[0]);
    auto endpoints = resolver.resolve(s.host, s.port);
    for (unsigned i = 0; i < s.connections; ++i) {
      unsigned t = i % s.threads;
      conns.push_back(std::make_shared<Connection<Stream>>(*contexts[t], tls, s, shared, hists[t], i));
      conns.back()->start(endpoints);
    }
  } catch (const std::exception& e) {
    std::cerr << "crous-bench: cannot connect to " << s.host << ":" << s.port << ": " << e.what() << "\n";
    return 1;
  }
  if (!run_all(contexts, shared.stop_at + kDrainLimit)) ++shared.errors;

  Histogram all;
  for (auto& h : hists) all.merge(h);
  std::uint64_t done = 0;
  Traffic traffic;
  for (auto& c : conns) {
    done += c->completed;
    traffic.add(c->traffic);
  }
  double rate = static_cast<double>(done) / s.duration;
  std::string shape = s.protocol == "redis" || s.records == "padded" ? "record_size=" + std::to_string(s.record_size)
                                                                      : "records=" + s.records;
  std::printf("protocol=%s tls=%s compress=%s connections=%u pipeline=%u %s duration=%.1fs threads=%u\n",
              s.protocol.c_str(), is_tls<Stream> ? "on" : "off", s.compress ? "lz4" : "none", s.connections,
              s.pipeline, shape.c_str(), s.duration, s.threads);
  std::printf("records=%llu rate=%.0f records/s latency_us p50=%.1f p99=%.1f p99.9=%.1f errors=%llu\n",
              static_cast<unsigned long long>(done), rate, all.percentile_us(50), all.percentile_us(99),
              all.percentile_us(99.9), static_cast<unsigned long long>(shared.errors.load()));
  // Per record over the whole run (warm-up included), the hello left out:
  // what the wire carried, and what that was uncompressed.
  auto per = [](std::uint64_t bytes, std::uint64_t records) {
    return records == 0 ? 0.0 : static_cast<double>(bytes) / static_cast<double>(records);
  };
  std::printf("wire_bytes_per_record sent=%.1f received=%.1f uncompressed sent=%.1f received=%.1f\n",
              per(traffic.wire_sent, traffic.requests), per(traffic.wire_received, traffic.responses),
              per(traffic.plain_sent, traffic.requests), per(traffic.plain_received, traffic.responses));
  return shared.errors.load() == 0 ? 0 : 1;
}

// Connection-rate mode: one worker per --connections, each going through new
// connections one after another (connect, TLS handshake, one ping, close)
// until the end of the measurement.
template <class Stream>
class ConnectLoop : public std::enable_shared_from_this<ConnectLoop<Stream>> {
 public:
  ConnectLoop(asio::io_context& ctx, const TlsSetup& tls, const Settings& s, const tcp::endpoint& to, Shared& shared,
              Histogram& hist)
      : ctx_(ctx), tls_(tls), settings_(s), to_(to), shared_(shared), hist_(hist) {}

  void next() {
    const auto began = Clock::now();
    if (began >= shared_.stop_at) return;
    auto conn = std::make_shared<PingConnection<Stream>>(ctx_, tls_, settings_);
    conn->connect(to_, [self = this->shared_from_this(), conn, began](bool ok) {
      if (!ok) return self->failed();
      conn->ping(1, [self, conn, began](bool ok) {
        if (!ok) return self->failed();
        conn->shut_down([self, began] { self->finished(began); });
      });
    });
  }

  std::uint64_t completed = 0;

 private:
  // The worker stops at its first failure (the reason is printed): a server
  // refusing connections would otherwise get, and print, thousands a second.
  void failed() { ++shared_.errors; }

  void finished(Clock::time_point began) {
    const auto now = Clock::now();
    if (now >= shared_.measure_from && now < shared_.stop_at) {
      const auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(now - began).count();
      hist_.record(static_cast<std::uint64_t>(ns));
      ++completed;
    }
    next();
  }

  asio::io_context& ctx_;
  const TlsSetup& tls_;
  const Settings& settings_;
  const tcp::endpoint to_;
  Shared& shared_;
  Histogram& hist_;
};

template <class Stream>
int run_handshakes(const Settings& s, const TlsSetup& tls) {
  Shared shared;
  auto contexts = make_contexts(s.threads);
  std::vector<Histogram> hists(s.threads);
  std::vector<std::shared_ptr<ConnectLoop<Stream>>> loops;
  tcp::endpoint endpoint;
  try {
    tcp::resolver resolver(*contexts[0]);
    endpoint = *resolver.resolve(s.host, s.port).begin();
  } catch (const std::exception& e) {
    std::cerr << "crous-bench: cannot resolve " << s.host << ":" << s.port << ": " << e.what() << "\n";
    return 1;
  }
  set_times(s, shared);
  for (unsigned i = 0; i < s.connections; ++i) {
    unsigned t = i % s.threads;
    loops.push_back(std::make_shared<ConnectLoop<Stream>>(*contexts[t], tls, s, endpoint, shared, hists[t]));
    loops.back()->next();
  }
  if (!run_all(contexts, shared.stop_at + kDrainLimit)) ++shared.errors;

  Histogram all;
  for (auto& h : hists) all.merge(h);
  std::uint64_t done = 0;
  for (auto& l : loops) done += l->completed;
  double rate = static_cast<double>(done) / s.duration;
  std::printf("protocol=%s tls=%s mode=handshakes concurrency=%u duration=%.1fs threads=%u%s\n", s.protocol.c_str(),
              is_tls<Stream> ? "on" : "off", s.connections, s.duration, s.threads,
              is_tls<Stream> ? " (full TLS handshakes: no session resumption)" : "");
  std::printf("connections=%llu rate=%.0f connections/s latency_us p50=%.1f p99=%.1f p99.9=%.1f errors=%llu\n",
              static_cast<unsigned long long>(done), rate, all.percentile_us(50), all.percentile_us(99),
              all.percentile_us(99.9), static_cast<unsigned long long>(shared.errors.load()));
  return shared.errors.load() == 0 ? 0 : 1;
}

constexpr const char* usage = "usage: crous-bench [--host H] [--port P] [--protocol crous|redis] [--op echo]\n"
    "                   [--connections N] [--pipeline N] [--record-size BYTES]\n"
    "                   [--records padded|users|orders] [--compress lz4|none]\n"
    "                   [--duration SECONDS] [--warmup SECONDS] [--threads N] [TLS]\n"
    "       crous-bench --handshakes [--host H] [--port P] [--protocol crous|redis]\n"
    "                   [--connections N] [--duration SECONDS] [--warmup SECONDS] [--threads N] [TLS]\n"
    "       crous-bench --hold-connections N --server-pid PID [--host H] [--port P]\n"
    "                   [--protocol crous|redis] [--requests-per-connection N]\n"
    "                   [--settle SECONDS] [--connect-batch N] [--time-limit SECONDS] [TLS]\n"
    "TLS:   --tls [--cacert FILE] [--cert FILE --key FILE] [--servername NAME] [--insecure]\n"
    "       verifies the server against --cacert (default: the system's CAs) and the name\n"
    "       --servername (default: --host); --insecure accepts any certificate.\n"
    "--handshakes: each of --connections workers repeatedly connects, sends one ping\n"
    "       ({\"op\":\"ping\"} or PING), reads the answer and closes; reports connections/s.\n"
    "       With --tls every connection is a full handshake (no session resumption).\n"
    "--records: padded (default: --record-size bytes, padded with 'x'), users (the codec\n"
    "       bench's 20,000 user records, ~125 bytes), orders (2,000 order records of ~2 KB).\n"
    "--compress lz4: a hello per connection, then LZ4 both ways (crous throughput mode);\n"
    "       every run reports wire bytes per record sent and received.\n";

// false after printing --help.
bool parse(int argc, char** argv, Settings& s) {
  using crous::cli::UsageError;
  const crous::cli::Args args(argc - 1, argv + 1,
                              {{"--host", true}, {"--port", true}, {"--protocol", true}, {"--op", true},
                               {"--connections", true}, {"--pipeline", true}, {"--record-size", true},
                               {"--records", true}, {"--compress", true}, {"--duration", true}, {"--warmup", true},
                               {"--threads", true}, {"--hold-connections", true},
                               {"--requests-per-connection", true}, {"--server-pid", true}, {"--settle", true},
                               {"--connect-batch", true}, {"--time-limit", true}, {"--handshakes", false},
                               {"--tls", false}, {"--cacert", true}, {"--cert", true}, {"--key", true},
                               {"--servername", true}, {"--insecure", false}});
  if (args.printed_help(usage)) return false;
  if (!args.positional().empty()) throw UsageError("unexpected argument '" + args.positional().front() + "'");
  s.host = args.value("--host").value_or(s.host);
  s.port = args.value("--port").value_or(s.port);
  s.protocol = args.choice("--protocol", {"crous", "redis"}).value_or(s.protocol);
  s.op = args.value("--op").value_or(s.op);
  s.connections = args.number<unsigned>("--connections", 1).value_or(s.connections);
  s.pipeline = args.number<unsigned>("--pipeline", 1).value_or(s.pipeline);
  s.record_size = args.number<std::size_t>("--record-size", 1).value_or(s.record_size);
  s.records = args.choice("--records", {"padded", "users", "orders"}).value_or(s.records);
  s.compress = args.choice("--compress", {"lz4", "none"}).value_or("none") == "lz4";
  s.duration = args.number<double>("--duration", 0).value_or(s.duration);
  s.warmup = args.number<double>("--warmup", 0).value_or(s.warmup);
  s.threads = args.number<unsigned>("--threads", 1).value_or(s.threads);
  s.hold_connections = args.number<unsigned>("--hold-connections", 0).value_or(s.hold_connections);
  s.requests_per_connection = args.number<unsigned>("--requests-per-connection", 0).value_or(s.requests_per_connection);
  s.server_pid = args.number<long>("--server-pid", 1).value_or(s.server_pid);
  s.settle = args.number<double>("--settle", 0).value_or(s.settle);
  s.connect_batch = args.number<unsigned>("--connect-batch", 1).value_or(s.connect_batch);
  s.time_limit = args.number<double>("--time-limit", 0).value_or(s.time_limit);
  s.handshakes = args.flag("--handshakes");
  s.tls.enabled = args.flag("--tls");
  s.tls.ca_file = args.value("--cacert").value_or("");
  s.tls.cert_file = args.value("--cert").value_or("");
  s.tls.key_file = args.value("--key").value_or("");
  s.tls.server_name = args.value("--servername").value_or("");
  s.tls.verify_peer = !args.flag("--insecure");
  const bool tls_detail = !s.tls.ca_file.empty() || !s.tls.cert_file.empty() || !s.tls.key_file.empty() ||
                          !s.tls.server_name.empty() || !s.tls.verify_peer;
  if ((s.compress || s.records != "padded") && (s.protocol != "crous" || s.handshakes || s.hold_connections > 0))
    throw UsageError("--compress and --records are for crous throughput runs");
  if (tls_detail && !s.tls.enabled) throw UsageError("--cacert, --cert, --key, --servername and --insecure need --tls");
  if (s.handshakes && s.hold_connections > 0) throw UsageError("--handshakes and --hold-connections are different modes");
  if (s.handshakes && s.pipeline != 1) throw UsageError("--handshakes sends one ping per connection");
  return true;
}

// Everything TLS connections share, checked before any connection exists so
// that a bad file or name is reported once, not by every connection.
TlsSetup make_tls_setup(const Settings& s) {
  TlsSetup tls{crous::client::make_tls_context(s.tls), s.tls, s.host};
  // Every connection makes a full handshake: no session is ever offered for
  // resumption (OpenSSL caches no client sessions by default; explicit here).
  SSL_CTX_set_session_cache_mode(tls.context->native_handle(), SSL_SESS_CACHE_OFF);
  asio::io_context probe;
  make_stream<TlsStream>(probe, tls);
  return tls;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  TlsSetup tls;
  try {
    if (!parse(argc, argv, s)) return 0;
    if (s.tls.enabled) tls = make_tls_setup(s);
  } catch (const std::exception& e) {
    std::cerr << "crous-bench: " << e.what() << "\n";
    return 2;
  }
  // One instantiation of each mode per stream type; the modes are the same code.
  auto run = [&](auto stream_type) {
    using Stream = typename decltype(stream_type)::type;
    if (s.hold_connections > 0) return run_hold<Stream>(s, tls);
    if (s.handshakes) return run_handshakes<Stream>(s, tls);
    return run_throughput<Stream>(s, tls);
  };
  return s.tls.enabled ? run(std::type_identity<TlsStream>{}) : run(std::type_identity<tcp::socket>{});
}
