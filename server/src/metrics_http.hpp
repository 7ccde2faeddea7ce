#pragma once
// The operators' HTTP listener: GET /metrics, /healthz, /readyz.
//
// Served by civetweb (the embedded HTTP server of prometheus-cpp's pull
// exposer, from the same Debian packages) on threads of its own: a bad,
// slow or flooding HTTP client can occupy only this listener's threads,
// never an I/O thread of the record port. prometheus::Exposer itself is not
// used because it answers every path with 200 and a metrics page, and
// /readyz must be able to say 503.
#include <cstdint>
#include <functional>
#include <string>

struct mg_context;
struct mg_connection;

namespace crous::server::detail {

struct Readiness;

class MetricsHttp {
 public:
  struct Handlers {
    std::function<std::string()> metrics;  // the text exposition, on a civetweb thread
    std::function<Readiness()> readiness;
  };

  // Binds address:port and starts serving. Throws std::system_error (or
  // std::runtime_error) naming the address when that fails.
  MetricsHttp(const std::string& address, std::uint16_t port, Handlers handlers);
  ~MetricsHttp();  // stops: returns once civetweb's threads have ended
  MetricsHttp(const MetricsHttp&) = delete;
  MetricsHttp& operator=(const MetricsHttp&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // "http://127.0.0.1:9478" ("http://[::1]:9478").
  std::string url() const;

  // Civetweb's threads for requests; a slow client holds one for at most
  // kRequestTimeoutMs per read or write.
  static constexpr int kThreads = 4;
  static constexpr int kRequestTimeoutMs = 5000;
  static constexpr int kMaxRequestBytes = 16 * 1024;  // request line and headers

 private:
  static int on_request(mg_connection* conn);
  int handle(mg_connection* conn);
  void knock() const noexcept;

  Handlers handlers_;
  std::string address_;
  std::string host_;  // as in a URL: IPv6 in brackets
  std::uint16_t port_ = 0;
  mg_context* ctx_ = nullptr;
};

}  // namespace crous::server::detail
