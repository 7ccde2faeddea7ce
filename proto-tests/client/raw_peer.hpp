#pragma once
// A scripted TCP peer on a real loopback socket, for the error paths the
// real server does not produce on demand: silence, closing mid-stream,
// truncated or garbled responses. It accepts one connection per script, in
// order, and runs each script on its connection in a thread; it stops
// listening once the last connection is accepted (a later connect is
// refused). Every socket call is bounded by a timeout.
#include <cstddef>
#include <cstdint>
#include <functional>
#include <thread>
#include <vector>

#include "crous/value.hpp"

namespace crous::test {

class RawPeer {
 public:
  using Script = std::function<void(int fd)>;
  // `connections` connections, one after the other, each running `script`.
  explicit RawPeer(Script script, std::size_t connections = 1);
  // One script per connection: a client that reconnects meets the next.
  explicit RawPeer(std::vector<Script> scripts);
  ~RawPeer();  // joins the script thread
  RawPeer(const RawPeer&) = delete;
  RawPeer& operator=(const RawPeer&) = delete;

  unsigned short port() const noexcept { return port_; }

  // Script helpers. Reads `count` whole request records (framed with the
  // codec's RecordScanner) and returns them decoded.
  static std::vector<Value> read_requests(int fd, std::size_t count);
  static void write_bytes(int fd, const std::vector<std::uint8_t>& bytes);
  // Blocks until the client closes the connection (or 10 s pass).
  static void wait_for_close(int fd);
  // Answers each request with itself until the client closes; returns the
  // requests answered.
  static std::vector<Value> echo_until_close(int fd);

 private:
  int listener_ = -1;
  unsigned short port_ = 0;
  std::thread thread_;
};

// A loopback listener whose accept queue is full, so a new connection's SYN
// is dropped and connect() hangs: the only dependable connect timeout.
class FullListener {
 public:
  FullListener();
  ~FullListener();
  FullListener(const FullListener&) = delete;
  FullListener& operator=(const FullListener&) = delete;
  unsigned short port() const noexcept { return port_; }

 private:
  int listener_ = -1;
  int filler_ = -1;
  unsigned short port_ = 0;
};

// A port with a socket bound to it but not listening: connecting is refused.
class RefusingPort {
 public:
  RefusingPort();
  ~RefusingPort();
  RefusingPort(const RefusingPort&) = delete;
  RefusingPort& operator=(const RefusingPort&) = delete;
  unsigned short port() const noexcept { return port_; }

 private:
  int fd_ = -1;
  unsigned short port_ = 0;
};

}  // namespace crous::test
