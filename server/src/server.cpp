#include "crous/server/server.hpp"

#include <prometheus/registry.h>
#include <spdlog/spdlog.h>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>

#include <condition_variable>
#include <csignal>
#include <mutex>
#include <optional>
#include <system_error>
#include <thread>

#include "builtin_handlers.hpp"
#include "listener.hpp"
#include "metrics_exporter.hpp"
#include "server_tls.hpp"
#include "session.hpp"

namespace crous::server {

namespace asio = boost::asio;
using detail::Shard;

// How long after the drain deadline (connections closed, async handlers
// cancelled) an I/O thread may still run before it is stopped.
constexpr std::chrono::milliseconds kStopGrace{1000};

struct Server::Impl {
  using WorkGuard = asio::executor_work_guard<asio::io_context::executor_type>;

  Impl(Options opts, std::string program_name)
      : options(std::move(opts)),
        program(std::move(program_name)),
        workers(options.workers),
        budget(options.max_buffered_input()),
        per_ip(options.max_connections_per_ip, stats),
        core{options, router, Limits{options.max_record_bytes, options.max_depth, true}, stats, workers, budget, per_ip,
             {},      {}} {
    options.validate();
    // A certificate that cannot be used stops the server before it starts
    // (and makes --check-config fail).
    if (options.tls_port) tls = std::make_unique<detail::ServerTls>(options);
    for (unsigned i = 0; i < options.io_threads(); ++i) shards.push_back(std::make_unique<Shard>(i));
    drain_timer.emplace(shards.front()->ctx);
    core.on_session_closed = [this] {
      if (core.draining.load() && stats.get(detail::Counter::connections_open) == 0)
        asio::post(shards.front()->ctx, [this] { drain_timer->cancel(); });
    };
  }

  ~Impl() {
    if (started) {
      begin_shutdown();
      join();
    }
    // What the service kept (Pools on the shards' executors) goes while the
    // io_contexts still exist, last kept first.
    while (!kept.empty()) kept.pop_back();
    // Offload jobs still queued hold sessions; drop them before the shards
    // (whose io_contexts the sessions' sockets belong to) go away.
    workers.stop();
  }

  void start(bool handle_signals) {
    if (started) throw std::logic_error("server already started");
    if (!router.find(options.default_route))
      throw std::invalid_argument("default_route '" + options.default_route + "' names no registered handler");
    boost::system::error_code ec;
    auto address = asio::ip::make_address(options.listen_address, ec);
    if (ec) throw std::invalid_argument("listen_address '" + options.listen_address + "' is not an IP address");
    auto open = [&](std::optional<detail::Listener>& out, std::uint16_t port, const detail::ServerTls* with_tls) {
      try {
        out.emplace(core, shards, asio::ip::tcp::endpoint(address, port), with_tls);
      } catch (const boost::system::system_error& e) {
        // Embedders should not need Boost to catch this.
        throw std::system_error(e.code().value(), std::system_category(),
                                "cannot listen on " + options.listen_address + ":" + std::to_string(port));
      }
      return out->port();
    };
    if (options.port) bound_port = open(listener, *options.port, nullptr);
    if (options.tls_port) bound_tls_port = open(tls_listener, *options.tls_port, tls.get());
    if (handle_signals) {
      signals.emplace(shards.front()->ctx, SIGINT, SIGTERM);
      signals->add(SIGHUP);
      wait_for_signal();
    }
    if (options.metrics_port) start_metrics();
    if (listener) listener->start();
    if (tls_listener) tls_listener->start();
    for (auto& shard : shards) guards.emplace_back(shard->ctx.get_executor());
    started = true;
    std::string where;
    if (listener) where = fmt::format("listening on {}:{}", options.listen_address, bound_port);
    if (tls_listener)
      where += fmt::format("{}TLS listening on {}:{} (TLS {}+, client certificates {})", where.empty() ? "" : ", ",
                           options.listen_address, bound_tls_port, config::to_string(options.tls_min_version),
                           tls->client_certificates_required() ? "required" : "not requested");
    if (metrics) where += fmt::format(", metrics on {}/metrics", metrics->url());
    spdlog::info(
        "{} {} ({} I/O threads, {} workers; route_key '{}', default_route '{}'; "
        "max_connections {}, max_record_bytes {}, max_depth {}, high_watermark {}, max_buffered_bytes {}, "
        "idle_timeout {} ms, record_timeout {} ms, write_timeout {} ms, drain_timeout {} ms)",
        program, where, shards.size(), options.workers, options.route_key, options.default_route,
        options.max_connections, options.max_record_bytes, options.max_depth, options.high_watermark, budget.limit(),
        options.idle_timeout.count(), options.record_timeout.count(), options.write_timeout.count(),
        options.drain_timeout.count());
    // One record can need its old and its new buffer while it grows: a budget
    // below two records' worth refuses some records the limit allows.
    if (budget.limit() < 2 * (options.max_record_bytes + RecordBuffer::read_chunk))
      spdlog::warn(
          "max_buffered_bytes ({}) is less than twice max_record_bytes ({}): records near the limit may be "
          "refused with server_busy even when they arrive alone",
          budget.limit(), options.max_record_bytes);
    running_threads = shards.size();
    for (auto& shard : shards)
      threads.emplace_back([this, ctx = &shard->ctx] {
        ctx->run();
        std::lock_guard lock(stop_mutex);
        if (--running_threads == 0) stop_cv.notify_all();
      });
  }

  // Before the I/O threads start: each shard gets its latency cells (the
  // router is final now), then the HTTP listener starts on its own threads.
  void start_metrics() {
    detail::MetricsSources sources;
    sources.snapshot = [this] { return snapshot(); };
    sources.readiness = [this] { return readiness(); };
    sources.op_labels = router.ops();
    sources.op_labels.push_back(detail::MetricsCollector::kUnregisteredOp);
    detail::LatencyClock::init();  // before the cells (their bounds are in its ticks) and the threads
    for (auto& shard : shards) {
      shard->latency = std::make_unique<detail::RequestLatency>(sources.op_labels.size());
      sources.shards.push_back(shard->latency.get());
    }
    sources.max_connections = options.max_connections;
    sources.version = CROUS_VERSION;
    sources.tls = options.tls_port.has_value();
    // Throws std::runtime_error naming the address when it cannot listen.
    metrics = std::make_unique<detail::MetricsExporter>(options.metrics_address, *options.metrics_port,
                                                        std::move(sources), registry);
  }

  // GET /readyz: send traffic here? Not while draining (orchestrators should
  // stop before the drain closes connections) nor at max_connections.
  detail::Readiness readiness() const {
    if (core.draining.load()) return {false, "draining (shutting down)"};
    const std::uint64_t open = stats.get(detail::Counter::connections_open);
    if (open >= options.max_connections)
      return {false, "at max_connections (" + std::to_string(options.max_connections) + " connections open)"};
    return {true, {}};
  }

  // SIGINT/SIGTERM drain; SIGHUP reloads the TLS material and waits again.
  void wait_for_signal() {
    signals->async_wait([this](const boost::system::error_code& ec, int signo) {
      if (ec) return;
      if (signo == SIGHUP) {
        if (tls) {
          spdlog::info("received SIGHUP; reloading TLS certificate, key and CA");
          tls->reload();
        } else {
          spdlog::info("received SIGHUP; nothing to reload (TLS is off)");
        }
        return wait_for_signal();
      }
      spdlog::info("received {}; shutting down", signo == SIGINT ? "SIGINT" : "SIGTERM");
      begin_shutdown();
    });
  }

  void begin_shutdown() {
    if (!started || core.draining.exchange(true)) return;
    asio::post(shards.front()->ctx, [this] { drain(); });
  }

  // On shard 0's thread.
  void drain() {
    if (listener) listener->stop();
    if (tls_listener) tls_listener->stop();
    // A second Ctrl-C gets the default action: stop now, without draining.
    if (signals) {
      signals->clear();
      signals->cancel();
    }
    spdlog::info("draining {} connections (deadline {} ms)", stats.get(detail::Counter::connections_open),
                 options.drain_timeout.count());
    for (auto& shard : shards)
      asio::post(shard->ctx, [s = shard.get()] {
        for (auto& session : sessions_of(*s)) session->drain();
      });
    drain_timer->expires_after(options.drain_timeout);
    drain_timer->async_wait([this](const boost::system::error_code& ec) {
      if (ec) return;  // every connection finished in time
      spdlog::warn("drain deadline passed with {} connections open; closing them",
                   stats.get(detail::Counter::connections_open));
      for (auto& shard : shards)
        asio::post(shard->ctx, [s = shard.get()] {
          for (auto& session : sessions_of(*s)) session->force_close();
        });
    });
    stop_after_grace();
    if (stats.get(detail::Counter::connections_open) == 0) drain_timer->cancel();
    // From now on each io_context returns from run() once its last session
    // (and the drain timer) is gone. Posted, so that an accept completion
    // already queued on shard 0 runs first: the session it admits is then
    // posted to its shard before that shard may stop.
    asio::post(shards.front()->ctx, [this] {
      for (auto& guard : guards) guard.reset();
    });
  }

  // Closing the connections cancels their async handlers, which then end at
  // once, unless one waits on something it did not tie to its context (a
  // timer of its own, a Responder held by a thread of its own): an I/O
  // thread still running a grace period after the drain deadline is
  // stopped, so drain_timeout bounds the exit. Armed when the drain starts,
  // not when its timer fires: the connections may all have closed in time
  // (the timer cancelled) while handlers of connections already gone still
  // keep a thread busy. Their frames are destroyed with the shards.
  void stop_after_grace() {
    watchdog = std::thread([this, limit = options.drain_timeout + kStopGrace] {
      std::unique_lock lock(stop_mutex);
      if (stop_cv.wait_for(lock, limit, [&] { return running_threads == 0; })) return;
      spdlog::warn(
          "{} I/O threads still busy {} ms after the drain began (async handlers waiting on something not "
          "tied to their RequestContext); stopping them",
          running_threads, std::chrono::duration_cast<std::chrono::milliseconds>(limit).count());
      for (auto& shard : shards) shard->ctx.stop();
    });
  }

  // A copy: closing a session removes it from the map.
  static std::vector<std::shared_ptr<detail::Session>> sessions_of(Shard& shard) {
    std::vector<std::shared_ptr<detail::Session>> out;
    out.reserve(shard.sessions.size());
    for (auto& [ptr, session] : shard.sessions) out.push_back(session);
    return out;
  }

  StatsSnapshot snapshot() const {
    StatsSnapshot s = stats.snapshot();
    s.input_buffered_bytes = budget.used();
    s.input_budget_bytes = budget.limit();
    const auto load = workers.load();
    s.offloads_queued = load.queued;
    s.offloads_running = load.running;
    return s;
  }

  void join() {
    std::lock_guard lock(join_mutex);
    for (auto& t : threads)
      if (t.joinable()) t.join();
    if (watchdog.joinable()) watchdog.join();  // started on shard 0's thread, joined above
    if (!stopped_logged && started) {
      stopped_logged = true;
      spdlog::info("{} stopped", program);
    }
  }

  Options options;
  std::string program;  // names the server in its log lines
  Router router;
  detail::Stats stats;
  detail::WorkerPool workers;
  detail::InputBudget budget;
  detail::ConnectionsPerIp per_ip;
  detail::ServerCore core;
  std::vector<std::unique_ptr<Shard>> shards;
  // Always there, so a service registers whether or not metrics are on.
  std::shared_ptr<prometheus::Registry> registry = std::make_shared<prometheus::Registry>();
  // After the shards whose latency cells it reads: destroyed (stopped) before them.
  std::unique_ptr<detail::MetricsExporter> metrics;
  std::optional<asio::steady_timer> drain_timer;
  std::optional<asio::signal_set> signals;
  std::unique_ptr<detail::ServerTls> tls;  // before the listeners that point to it
  std::optional<detail::Listener> listener;
  std::optional<detail::Listener> tls_listener;
  std::vector<WorkGuard> guards;
  std::vector<std::thread> threads;
  std::mutex stop_mutex;
  std::condition_variable stop_cv;
  std::size_t running_threads = 0;  // I/O threads not yet returned from run()
  std::thread watchdog;             // stop_after_grace()
  std::mutex join_mutex;
  std::uint16_t bound_port = 0;
  std::uint16_t bound_tls_port = 0;
  bool started = false;
  bool stopped_logged = false;
  std::vector<std::shared_ptr<void>> kept;  // Server::keep
};

Server::Server(Options options, std::string program)
    : impl_(std::make_unique<Impl>(std::move(options), std::move(program))) {
  detail::register_builtin_handlers(impl_->router, impl_->options, [impl = impl_.get()] { return impl->snapshot(); });
}

Server::~Server() = default;

Router& Server::router() { return impl_->router; }
void Server::keep_erased(std::shared_ptr<void> object) { impl_->kept.push_back(std::move(object)); }
const Options& Server::options() const { return impl_->options; }

std::vector<asio::any_io_executor> Server::io_executors() const {
  std::vector<asio::any_io_executor> out;
  for (const auto& shard : impl_->shards) out.emplace_back(shard->ctx.get_executor());
  return out;
}
void Server::start() { impl_->start(false); }
std::uint16_t Server::port() const { return impl_->bound_port; }
std::uint16_t Server::tls_port() const { return impl_->bound_tls_port; }
bool Server::reload_tls() { return impl_->tls && impl_->tls->reload(); }
void Server::shutdown() { impl_->begin_shutdown(); }
void Server::wait() { impl_->join(); }

void Server::run() {
  impl_->start(true);
  impl_->join();
}

StatsSnapshot Server::stats() const { return impl_->snapshot(); }
prometheus::Registry& Server::metrics_registry() { return *impl_->registry; }
std::uint16_t Server::metrics_port() const { return impl_->metrics ? impl_->metrics->port() : 0; }

}  // namespace crous::server
