#include "metrics_http.hpp"

#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <civetweb.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <chrono>
#include <thread>

#include <cstring>
#include <mutex>
#include <stdexcept>
#include <string_view>
#include <system_error>
#include <vector>

#include "metrics_collector.hpp"

namespace crous::server::detail {
namespace {

// civetweb's bad-request and socket complaints: one misbehaving HTTP client
// must not be able to fill the server's log.
int on_log_message(const mg_connection*, const char* message) {
  spdlog::debug("metrics listener: {}", message ? message : "");
  return 1;  // handled: civetweb prints nothing itself
}

const char* reason_of(int status) {
  switch (status) {
    case 200: return "OK";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 500: return "Internal Server Error";
    case 503: return "Service Unavailable";
  }
  return "Unknown";
}

void respond(mg_connection* conn, int status, std::string_view content_type, std::string_view body, bool head,
             std::string_view extra_headers = {}) {
  std::string header = "HTTP/1.1 " + std::to_string(status) + " " + reason_of(status) + "\r\nContent-Type: ";
  header.append(content_type);
  header += "\r\nContent-Length: " + std::to_string(body.size()) + "\r\nCache-Control: no-store\r\n";
  header.append(extra_headers);
  header += "Connection: close\r\n\r\n";
  if (!head) header.append(body);  // one write: headers and body leave together
  mg_write(conn, header.data(), header.size());
}

constexpr std::string_view kText = "text/plain; charset=utf-8";
// Prometheus text exposition format 0.0.4.
constexpr std::string_view kExposition = "text/plain; version=0.0.4; charset=utf-8";

}  // namespace

MetricsHttp::MetricsHttp(const std::string& address, std::uint16_t port, Handlers handlers)
    : handlers_(std::move(handlers)) {
  static std::once_flag library;
  std::call_once(library, [] { mg_init_library(0); });
  address_ = address;
  // IPv6 in brackets; Debian's civetweb is built without IPv6, so the
  // configuration admits IPv4 only and civetweb would refuse this.
  const bool v6 = address.find(':') != std::string::npos;
  host_ = v6 ? "[" + address + "]" : address;
  const std::string listening = host_ + ":" + std::to_string(port);
  const std::string threads = std::to_string(kThreads);
  const std::string timeout = std::to_string(kRequestTimeoutMs);
  const std::string max_request = std::to_string(kMaxRequestBytes);
  const char* options[] = {
      "listening_ports", listening.c_str(),
      "num_threads", threads.c_str(),
      "request_timeout_ms", timeout.c_str(),
      "max_request_size", max_request.c_str(),
      // One request per connection: an idle keep-alive client holds no thread.
      "enable_keep_alive", "no",
      "listen_backlog", "64",
      nullptr,
  };
  mg_callbacks callbacks{};
  callbacks.begin_request = &MetricsHttp::on_request;
  callbacks.log_message = &on_log_message;
  mg_init_data init{&callbacks, this, options};
  char error_text[256] = {0};
  unsigned error_code = 0;
  mg_error_data error{&error_code, error_text, sizeof error_text};
  ctx_ = mg_start2(&init, &error);
  if (!ctx_)
    throw std::runtime_error("cannot listen on " + listening + " (metrics): " +
                             (error_text[0] ? std::string(error_text) : "civetweb failed to start"));
  mg_server_port ports[4]{};
  const int n = mg_get_server_ports(ctx_, 4, ports);
  if (n < 1) {
    mg_stop(ctx_);
    throw std::runtime_error("metrics listener on " + listening + " reports no port");
  }
  port_ = static_cast<std::uint16_t>(ports[0].port);
}

MetricsHttp::~MetricsHttp() {
  if (!ctx_) return;
  // civetweb's accepting thread polls its socket in 2 s quanta and looks at
  // the stop flag in between; a connection wakes it at once. So mg_stop runs
  // on a helper thread while this one knocks until it has returned.
  std::atomic<bool> stopped{false};
  std::thread stopper;
  try {
    stopper = std::thread([&] {
      mg_stop(ctx_);
      stopped = true;
    });
  } catch (const std::system_error&) {  // no thread to be had: stop without knocking (up to 2 s)
    mg_stop(ctx_);
    return;
  }
  while (!stopped) {
    knock();
    for (int i = 0; i < 10 && !stopped; ++i) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  stopper.join();
}

// A connection to the listener, closed at once (any error ignored).
void MetricsHttp::knock() const noexcept {
  boost::system::error_code ec;
  namespace asio = boost::asio;
  auto address = asio::ip::make_address(address_, ec);
  if (ec) return;
  if (address.is_unspecified())
    address = address.is_v6() ? asio::ip::address(asio::ip::address_v6::loopback())
                              : asio::ip::address(asio::ip::address_v4::loopback());
  const int fd = ::socket(address.is_v6() ? AF_INET6 : AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0) return;
  const asio::ip::tcp::endpoint endpoint(address, port_);
  ::connect(fd, endpoint.data(), static_cast<socklen_t>(endpoint.size()));
  ::close(fd);
}

std::string MetricsHttp::url() const { return "http://" + host_ + ":" + std::to_string(port_); }

int MetricsHttp::on_request(mg_connection* conn) {
  auto* self = static_cast<MetricsHttp*>(mg_get_user_data(mg_get_context(conn)));
  // No exception may cross civetweb's C frames.
  try {
    return self->handle(conn);
  } catch (const std::exception& e) {
    spdlog::error("metrics listener: request failed: {}", e.what());
  } catch (...) {
    spdlog::error("metrics listener: request failed");
  }
  try {
    respond(conn, 500, kText, "internal error\n", false);
  } catch (...) {
  }
  return 500;
}

int MetricsHttp::handle(mg_connection* conn) {
  const mg_request_info* request = mg_get_request_info(conn);
  const std::string_view method = request->request_method ? request->request_method : "";
  const std::string_view path = request->local_uri ? request->local_uri : "";
  const bool known = path == "/metrics" || path == "/healthz" || path == "/readyz";
  if (!known) {
    respond(conn, 404, kText, "not found: try /metrics, /healthz or /readyz\n", method == "HEAD");
    return 404;
  }
  const bool head = method == "HEAD";
  if (method != "GET" && !head) {
    respond(conn, 405, kText, "only GET and HEAD\n", false, "Allow: GET, HEAD\r\n");
    return 405;
  }
  if (path == "/metrics") {
    const std::string text = handlers_.metrics();
    respond(conn, 200, kExposition, text, head);
    return 200;
  }
  if (path == "/healthz") {
    // The process is up and this thread answers: alive.
    respond(conn, 200, kText, "ok\n", head);
    return 200;
  }
  const Readiness r = handlers_.readiness();
  if (r.ready) {
    respond(conn, 200, kText, "ready\n", head);
    return 200;
  }
  respond(conn, 503, kText, "not ready: " + r.reason + "\n", head);
  return 503;
}

}  // namespace crous::server::detail
