#pragma once
// A tiny HTTP/1.1 client over plain POSIX sockets for the metrics listener
// tests (independent of civetweb and of the server's code), and a reader of
// the Prometheus text exposition.
#include <chrono>
#include <cstdint>
#include <map>
#include <string>

namespace crous::test {

struct HttpResponse {
  int status = 0;          // 0: no status line (closed, timed out)
  std::string head;        // status line and headers
  std::string body;
  std::string header(const std::string& name) const;  // first value, case-insensitive name; "" if absent
};

// One request on a new connection to 127.0.0.1:port ("Connection: close"),
// read until the server closes. `extra_headers` lines end with \r\n.
HttpResponse http_request(std::uint16_t port, const std::string& method, const std::string& path,
                          const std::string& extra_headers = {},
                          std::chrono::milliseconds timeout = std::chrono::seconds(10));
inline HttpResponse http_get(std::uint16_t port, const std::string& path,
                             std::chrono::milliseconds timeout = std::chrono::seconds(10)) {
  return http_request(port, "GET", path, {}, timeout);
}

// A connected TCP socket to 127.0.0.1:port (throws on failure); close it with ::close.
int connect_loopback(std::uint16_t port);
// Whatever the peer sends until it closes or `timeout` passes.
std::string read_until_closed(int fd, std::chrono::milliseconds timeout);

// "name{label=\"v\",...}" (as printed) -> value, for every sample line.
using Samples = std::map<std::string, double>;
Samples parse_exposition(const std::string& text);
// The value of a sample; throws std::out_of_range naming it when absent.
double sample(const Samples& samples, const std::string& series);

// Runs `promtool check metrics` on `text`; returns its exit status and
// output. promtool missing is a test failure (scripts/install-deps.sh installs it).
struct PromtoolResult {
  int status = -1;
  std::string output;
};
PromtoolResult promtool_check_metrics(const std::string& text);

}  // namespace crous::test
