#pragma once
// The asynchronous FLUX record server (docs/protocol.md, docs/server.md).
//
//   crous::server::Server server(options);            // options: crous::config::ServerConfig
//   server.router().add("hello", [](const crous::Value&) { return crous::Value("world"); });
//   server.run();                                     // until SIGINT/SIGTERM, then drains
//
// Or, to control the lifetime yourself (tests, services with their own main loop):
//   server.start(); ... server.port() ...; server.shutdown(); server.wait();
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "crous/config/server_config.hpp"
#include "crous/server/router.hpp"
#include "crous/server/stats.hpp"

namespace prometheus {
class Registry;  // prometheus-cpp (<prometheus/registry.h>), linked with crous::server
}

namespace crous::server {

using Options = config::ServerConfig;

class Server {
 public:
  // Throws std::invalid_argument when the options do not fit together
  // (Options::validate) or a TLS file cannot be used (the message names the
  // option and the file). `program` names the server in its log lines.
  explicit Server(Options options = {}, std::string program = "crous-server");
  ~Server();  // shuts down (graceful, bounded by drain_timeout) and waits
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Pre-loaded with echo, ping, stats and info; add or replace before start().
  Router& router();
  const Options& options() const;
  // The executors of the I/O threads, in RequestContext::io_thread() order;
  // valid from construction. What an async handler keeps per thread (a
  // client Pool, say) is made for these:
  //   for (auto& ex : server.io_executors()) pools.push_back(std::make_unique<Pool>(ex, host, port));
  // and found with pools[ctx.io_thread()]. Such objects must be destroyed
  // before the Server: keep() does that.
  std::vector<boost::asio::any_io_executor> io_executors() const;

  // Owns `object` and destroys it once the server has stopped (drained, its
  // threads joined) but before its I/O contexts, last kept first. For state
  // the handlers use that lives on the server's executors, made where the
  // routes are registered (a run_service setup, which returns before the
  // server runs):
  //   auto& pools = server.keep(std::make_unique<std::vector<Pool>>(...));
  template <class T>
  T& keep(std::unique_ptr<T> object) {
    T& kept = *object;
    keep_erased(std::shared_ptr<void>(std::move(object)));
    return kept;
  }

  // Binds, listens and starts the I/O and worker threads; returns at once.
  // Throws std::invalid_argument when default_route names no handler and
  // std::system_error when the address cannot be bound.
  void start();
  // The bound plain port (useful with port 0); 0 when the plain listener is
  // off. Valid after start().
  std::uint16_t port() const;
  // The bound TLS port; 0 when TLS is off. Valid after start().
  std::uint16_t tls_port() const;
  // Loads tls_cert_file, tls_key_file and tls_ca_file again (run() does it
  // on SIGHUP): new handshakes use the new material, open connections keep
  // theirs. On failure the current material stays and the reason is logged;
  // returns false (also when TLS is off). Any thread.
  bool reload_tls();
  // Begins a graceful shutdown: stop accepting, answer every complete request
  // already received, flush, close; bounded by drain_timeout. Any thread,
  // any number of times; returns at once.
  void shutdown();
  // Blocks until shutdown has finished and every thread has stopped.
  void wait();
  // start(), shutdown() on SIGINT or SIGTERM, wait().
  void run();

  StatsSnapshot stats() const;

  // The registry a service adds its own metrics to, with prometheus-cpp's
  // builders:
  //   auto& hits = prometheus::BuildCounter().Name("myservice_cache_hits_total")
  //                    .Help("...").Register(server.metrics_registry()).Add({});
  // Served after the server's own families on GET /metrics when
  // metrics_port is set (it exists either way, so a service may register
  // unconditionally). Names starting with crous_ or process_ are the
  // server's. Thread-safe, any time.
  prometheus::Registry& metrics_registry();
  // The bound metrics port (useful with metrics_port = 0); 0 when metrics are
  // off. Valid after start(); the listener answers until the Server is destroyed.
  std::uint16_t metrics_port() const;

 private:
  void keep_erased(std::shared_ptr<void> object);

  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crous::server
