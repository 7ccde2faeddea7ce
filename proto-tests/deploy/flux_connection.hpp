#pragma once
// A blocking FLUX connection over a plain POSIX socket to any IPv4 address
// (the test hosts live in network namespaces, not on 127.0.0.1), with
// poll() timeouts. Independent of the server's and the client library's
// networking.
#include <chrono>
#include <cstdint>
#include <string>

#include "crous/flux.hpp"
#include "crous/record_buffer.hpp"

namespace crous::test {

class FluxConnection {
 public:
  // Throws when the connection cannot be made within `timeout`.
  FluxConnection(const std::string& address, std::uint16_t port,
                 std::chrono::milliseconds timeout = std::chrono::seconds(5));
  ~FluxConnection();
  FluxConnection(const FluxConnection&) = delete;
  FluxConnection& operator=(const FluxConnection&) = delete;

  void send_bytes(const Bytes& bytes);
  void send(const Value& value) { send_bytes(encode_flux(value)); }
  // The next record; throws on EOF, reset or timeout.
  Value read(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Value call(const Value& request) {
    send(request);
    return read();
  }
  // This end's port: what the server sees as the client's port (through a
  // proxy too, when the proxy sends the PROXY header).
  std::uint16_t local_port() const;

 private:
  int fd_ = -1;
  RecordBuffer buf_;
};

// The PROXY protocol v2 header with the LOCAL command: what a crous-server
// with proxy_protocol on accepts from a peer that speaks for itself (the
// proxy's health checks; here, the test asking an instance for its stats).
Bytes proxy_local_header();

// The instance's `stats`, asked directly (with a LOCAL header when it runs
// with proxy_protocol on).
Value instance_stats(const std::string& address, std::uint16_t port, bool proxy_protocol);

}  // namespace crous::test
