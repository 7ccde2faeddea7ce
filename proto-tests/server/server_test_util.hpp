#pragma once
// Helpers for the server tests: an in-process server on an ephemeral port and
// a small blocking client over plain POSIX sockets (independent of Asio, so
// the tests do not share the server's networking code).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crous/flux.hpp"
#include "crous/record_buffer.hpp"
#include "crous/server/server.hpp"

namespace crous::test {

using namespace std::chrono_literals;

// Defaults sized for tests: ephemeral port, two I/O threads, short drain.
crous::server::Options test_options();

// Starts in the constructor; shuts down and waits in the destructor.
class TestServer {
 public:
  explicit TestServer(crous::server::Options options = test_options(),
                      const std::function<void(crous::server::Router&)>& setup = {});
  ~TestServer();
  std::uint16_t port() const { return server_->port(); }
  crous::server::Server& server() { return *server_; }

 private:
  std::unique_ptr<crous::server::Server> server_;
};

class Client {
 public:
  // receive_buffer: SO_RCVBUF to set before connecting (0: system default).
  explicit Client(std::uint16_t port, bool no_delay = true, int receive_buffer = 0);
  ~Client();
  Client(const Client&) = delete;
  Client& operator=(const Client&) = delete;

  void send(const Value& value);
  void send_bytes(const std::uint8_t* data, std::size_t size);
  void send_bytes(const std::vector<std::uint8_t>& bytes) { send_bytes(bytes.data(), bytes.size()); }
  // Sends what fits without blocking; returns the bytes taken (0 when full).
  std::size_t send_some_nonblocking(const std::uint8_t* data, std::size_t size);
  void shutdown_write();

  enum class Next { record, eof, timeout, reset };
  // Waits up to `timeout` for the next response record.
  Next next(Value& out, std::chrono::milliseconds timeout = 10s);
  // The next record; throws on EOF, reset or timeout.
  Value read(std::chrono::milliseconds timeout = 10s);
  // True when the server closes (EOF or reset) before sending anything else.
  bool closed_without_more_data(std::chrono::milliseconds timeout = 10s);
  // Reads up to `max` raw bytes into the record buffer (for slow readers).
  std::size_t receive_some(std::size_t max, std::chrono::milliseconds timeout = 10s);

  int fd() const { return fd_; }

 private:
  int fd_ = -1;
  RecordBuffer buf_;
};

// A server binary from bin_dir() as a child process. Its stderr (the log) is
// read until it says which port it listens on; killed if still running at
// destruction.
class ServerProcess {
 public:
  explicit ServerProcess(std::vector<std::string> args, const std::string& program = "crous-server");
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  std::uint16_t port() const { return port_; }
  void signal(int sig);
  // Exit status (128 + signal if killed), or -1 if still running after `limit`.
  int wait_exit(std::chrono::milliseconds limit);
  const std::string& log() const { return log_; }

 private:
  bool read_log(std::chrono::steady_clock::time_point deadline);
  int pid_ = -1;
  int log_fd_ = -1;
  std::string log_;
  std::uint16_t port_ = 0;
};

// {"error": {"code": c, ...}} -> c; empty when `v` is not an error record.
std::string error_code_of(const Value& v);

}  // namespace crous::test
