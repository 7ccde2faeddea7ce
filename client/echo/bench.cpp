#include "bench.hpp"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <vector>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <fmt/format.h>

#include "crous/client/async_client.hpp"

namespace crous::echo {

namespace {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using Clock = std::chrono::steady_clock;

// Nearest-rank percentile of sorted samples.
double percentile_ms(const std::vector<Clock::duration>& sorted, double p) {
  if (sorted.empty()) return 0;
  const auto rank = static_cast<std::size_t>(std::ceil(p * static_cast<double>(sorted.size())));
  const auto index = std::clamp<std::size_t>(rank, 1, sorted.size()) - 1;
  return std::chrono::duration<double, std::milli>(sorted[index]).count();
}

class Bench {
 public:
  Bench(const EchoOptions& options, const Value& record)
      : options_(options),
        client_(io_.get_executor(), client_options(options)),
        record_(record),
        total_(*options.count) {
    latencies_.reserve(total_);
  }

  int run(std::ostream& out) {
    asio::co_spawn(io_, start(), [this](std::exception_ptr error) { stop(error); });
    io_.run();
    if (show_progress_) std::fputs("\r\033[K", stderr);
    if (failure_) std::rethrow_exception(failure_);
    print_summary(out);
    if (not_answered_ != 0) return 3;
    return errors_ == 0 ? 0 : 1;
  }

 private:
  awaitable<void> start() {
    co_await client_.async_connect(options_.host, options_.port, use_awaitable);
    warn_if_declined(options_, client_.compression());
    started_ = Clock::now();
    show_progress_ = ::isatty(STDERR_FILENO) == 1;
    if (show_progress_) report_progress();
    for (std::size_t i = 0; i < options_.pipeline; ++i) {
      asio::co_spawn(io_, caller(), [this](std::exception_ptr error) { stop(error); });
    }
  }

  // One of the K callers: takes the next call while any are left, so K
  // calls stay in flight until the end. With --reconnect a call the lost
  // connection left unanswered is counted and the run goes on; any other
  // ClientError (a reconnect that gave up) ends it.
  awaitable<void> caller() {
    while (issued_ < total_) {
      ++issued_;
      const auto sent = Clock::now();
      bool answered = true;
      try {
        co_await client_.async_call(record_, call_options(options_), use_awaitable);
      } catch (const client::ServerError&) {
        ++errors_;
      } catch (const client::ClientError& e) {
        if (e.code() != client::ClientErrc::not_answered) throw;
        ++not_answered_;
        answered = false;
      }
      if (answered) latencies_.push_back(Clock::now() - sent);
      if (++completed_ == total_) finish();
    }
  }

  void finish() {
    finished_ = Clock::now();
    progress_.cancel();
    client_.close();
  }

  void stop(std::exception_ptr error) {
    if (!error || failure_) return;
    failure_ = error;
    progress_.cancel();
    client_.close();
  }

  void report_progress() {
    std::fprintf(stderr, "\r%zu/%zu records", completed_, total_);
    progress_.expires_after(std::chrono::milliseconds(200));
    progress_.async_wait([this](const boost::system::error_code& ec) {
      if (!ec && completed_ < total_ && !failure_) report_progress();
    });
  }

  void print_summary(std::ostream& out) {
    std::sort(latencies_.begin(), latencies_.end());
    const double seconds = std::chrono::duration<double>(finished_ - started_).count();
    out << fmt::format("{} records in {:.3f} s with {} in flight: {:.0f} records/s\n", total_, seconds,
                       options_.pipeline, static_cast<double>(total_) / seconds)
        << fmt::format("latency p50 {:.3f} ms  p99 {:.3f} ms  max {:.3f} ms\n", percentile_ms(latencies_, 0.50),
                       percentile_ms(latencies_, 0.99), percentile_ms(latencies_, 1.0))
        << fmt::format("error responses {}\n", errors_);
    if (options_.compression != client::Compression::none) {
      out << fmt::format("compression {}\n", client::to_string(client_.compression()));
    }
    if (options_.reconnect.enabled) {
      const client::ReconnectStats stats = client_.reconnect_stats();
      out << fmt::format("reconnects {}  resent {}  not answered {}\n", stats.reconnects, stats.resent, not_answered_);
    }
  }

  const EchoOptions& options_;
  asio::io_context io_;
  client::AsyncClient client_;
  asio::steady_timer progress_{io_};
  Value record_;
  std::size_t total_;
  std::size_t issued_ = 0;
  std::size_t completed_ = 0;
  std::size_t errors_ = 0;
  std::size_t not_answered_ = 0;
  std::vector<Clock::duration> latencies_;
  Clock::time_point started_;
  Clock::time_point finished_;
  bool show_progress_ = false;
  std::exception_ptr failure_;
};

}  // namespace

int run_bench(const EchoOptions& options, const Value& record, std::ostream& out) {
  Bench bench(options, record);
  return bench.run(out);
}

}  // namespace crous::echo
