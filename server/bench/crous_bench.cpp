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
#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <iostream>
#include <memory>
#include <string>
#include <thread>
#include <vector>

#include "crous/flux.hpp"
#include "crous/record_buffer.hpp"

namespace {

namespace asio = boost::asio;
using tcp = asio::ip::tcp;
using Clock = std::chrono::steady_clock;

struct Settings {
  std::string host = "127.0.0.1";
  std::string port = "7878";
  std::string protocol = "crous";  // crous | redis
  std::string op = "echo";
  unsigned connections = 50;
  unsigned pipeline = 1;
  std::size_t record_size = 130;
  double duration = 10;
  double warmup = 1;
  unsigned threads = 1;
};

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

std::string redis_request(const Settings& s, unsigned id) {
  std::string key = "key:" + std::to_string(id);
  std::string value(s.record_size, 'x');
  return "*3\r\n$3\r\nSET\r\n$" + std::to_string(key.size()) + "\r\n" + key + "\r\n$" + std::to_string(value.size()) +
         "\r\n" + value + "\r\n";
}

class Connection : public std::enable_shared_from_this<Connection> {
 public:
  Connection(asio::io_context& ctx, const Settings& s, Shared& shared, Histogram& hist, unsigned id)
      : socket_(ctx), settings_(s), shared_(shared), hist_(hist), in_(256 * 1024) {
    if (s.protocol == "redis") {
      std::string one = redis_request(s, id);
      for (unsigned i = 0; i < s.pipeline; ++i) batch_.insert(batch_.end(), one.begin(), one.end());
    } else {
      request_ = crous_request(s, id);
      for (unsigned i = 0; i < s.pipeline; ++i) batch_.insert(batch_.end(), request_.begin(), request_.end());
    }
  }

  void start(const tcp::resolver::results_type& endpoints) {
    asio::connect(socket_, endpoints);
    socket_.set_option(tcp::no_delay(true));
    send_batch();
  }

  std::uint64_t completed = 0;

 private:
  void send_batch() {
    if (Clock::now() >= shared_.stop_at) return;
    pending_ = settings_.pipeline;
    sent_at_ = Clock::now();
    asio::async_write(socket_, asio::buffer(batch_), [self = shared_from_this()](boost::system::error_code ec, std::size_t) {
      if (ec) {
        ++self->shared_.errors;
        return;
      }
      self->read_more();
    });
  }

  void read_more() {
    socket_.async_read_some(asio::buffer(in_), [self = shared_from_this()](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        ++self->shared_.errors;
        return;
      }
      self->on_data(n);
    });
  }

  void on_data(std::size_t n) {
    unsigned responses = settings_.protocol == "redis" ? count_lines(n) : count_records(n);
    if (responses == ~0u) return;
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
    return lines;
  }

  unsigned count_records(std::size_t n) {
    unsigned records = 0;
    const std::span<const std::uint8_t> got(in_.data(), n);
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

  tcp::socket socket_;
  const Settings& settings_;
  Shared& shared_;
  Histogram& hist_;
  std::vector<std::uint8_t> batch_;
  crous::Bytes request_;
  std::vector<std::uint8_t> in_;
  crous::RecordBuffer responses_;
  unsigned pending_ = 0;
  bool checked_ = false;
  Clock::time_point sent_at_;
};

bool parse(int argc, char** argv, Settings& s) {
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) throw std::invalid_argument(a + " needs a value");
      return argv[++i];
    };
    if (a == "--host") s.host = value();
    else if (a == "--port") s.port = value();
    else if (a == "--protocol") s.protocol = value();
    else if (a == "--op") s.op = value();
    else if (a == "--connections") s.connections = static_cast<unsigned>(std::stoul(value()));
    else if (a == "--pipeline") s.pipeline = static_cast<unsigned>(std::stoul(value()));
    else if (a == "--record-size") s.record_size = std::stoul(value());
    else if (a == "--duration") s.duration = std::stod(value());
    else if (a == "--warmup") s.warmup = std::stod(value());
    else if (a == "--threads") s.threads = static_cast<unsigned>(std::stoul(value()));
    else {
      std::cout << "usage: crous-bench [--host H] [--port P] [--protocol crous|redis] [--op echo]\n"
                   "                   [--connections N] [--pipeline N] [--record-size BYTES]\n"
                   "                   [--duration SECONDS] [--warmup SECONDS] [--threads N]\n";
      return a == "--help" || a == "-h" ? false : throw std::invalid_argument("unknown option " + a);
    }
  }
  if (s.protocol != "crous" && s.protocol != "redis") throw std::invalid_argument("--protocol: crous or redis");
  if (s.connections == 0 || s.pipeline == 0 || s.threads == 0) throw std::invalid_argument("counts must be > 0");
  return true;
}

}  // namespace

int main(int argc, char** argv) {
  Settings s;
  try {
    if (!parse(argc, argv, s)) return 0;
  } catch (const std::exception& e) {
    std::cerr << "crous-bench: " << e.what() << "\n";
    return 2;
  }
  Shared shared;
  auto start = Clock::now();
  shared.measure_from = start + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.warmup));
  shared.stop_at = shared.measure_from + std::chrono::duration_cast<Clock::duration>(std::chrono::duration<double>(s.duration));

  std::vector<std::unique_ptr<asio::io_context>> contexts;
  std::vector<Histogram> hists(s.threads);
  std::vector<std::shared_ptr<Connection>> conns;
  try {
    for (unsigned t = 0; t < s.threads; ++t) contexts.push_back(std::make_unique<asio::io_context>(1));
    tcp::resolver resolver(*contexts[0]);
    auto endpoints = resolver.resolve(s.host, s.port);
    for (unsigned i = 0; i < s.connections; ++i) {
      unsigned t = i % s.threads;
      conns.push_back(std::make_shared<Connection>(*contexts[t], s, shared, hists[t], i));
      conns.back()->start(endpoints);
    }
  } catch (const std::exception& e) {
    std::cerr << "crous-bench: cannot connect to " << s.host << ":" << s.port << ": " << e.what() << "\n";
    return 1;
  }
  std::vector<std::thread> threads;
  for (auto& ctx : contexts) threads.emplace_back([c = ctx.get()] { c->run(); });
  for (auto& t : threads) t.join();

  Histogram all;
  for (auto& h : hists) all.merge(h);
  std::uint64_t done = 0;
  for (auto& c : conns) done += c->completed;
  double rate = static_cast<double>(done) / s.duration;
  std::printf("protocol=%s connections=%u pipeline=%u record_size=%zu duration=%.1fs threads=%u\n", s.protocol.c_str(),
              s.connections, s.pipeline, s.record_size, s.duration, s.threads);
  std::printf("records=%llu rate=%.0f records/s latency_us p50=%.1f p99=%.1f p99.9=%.1f errors=%llu\n",
              static_cast<unsigned long long>(done), rate, all.percentile_us(50), all.percentile_us(99),
              all.percentile_us(99.9), static_cast<unsigned long long>(shared.errors.load()));
  return shared.errors.load() == 0 ? 0 : 1;
}
