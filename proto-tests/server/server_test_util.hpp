#pragma once
// Helpers for the server tests: an in-process server on an ephemeral port and
// a small blocking client over plain POSIX sockets (independent of Asio, so
// the tests do not share the server's networking code).
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "crous/flux.hpp"
#include "crous/record_buffer.hpp"
#include "crous/server/server.hpp"
#include "test_support.hpp"

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
  // source: local IPv4 address to connect from (another loopback address
  // such as 127.0.0.2 looks like another client host).
  explicit Client(std::uint16_t port, bool no_delay = true, int receive_buffer = 0, const char* source = nullptr);
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
  // Appends whatever bytes arrive within `timeout` to `out`, unframed (for
  // compressed streams): `record` when some did.
  Next receive_raw(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout = 10s);
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
  // open_files: RLIMIT_NOFILE for the child (0: inherited).
  explicit ServerProcess(std::vector<std::string> args, const std::string& program = "crous-server",
                         unsigned open_files = 0);
  ~ServerProcess();
  ServerProcess(const ServerProcess&) = delete;
  ServerProcess& operator=(const ServerProcess&) = delete;
  // The first port it listens on (plain, or TLS when that is the only one).
  std::uint16_t port() const { return port_; }
  // Its TLS port; 0 when TLS is off.
  std::uint16_t tls_port() const { return tls_port_; }
  // Its metrics (HTTP) port; 0 when metrics are off.
  std::uint16_t metrics_port() const { return metrics_port_; }
  void signal(int sig);
  // Exit status (128 + signal if killed), or -1 if still running after `limit`.
  int wait_exit(std::chrono::milliseconds limit);
  // Reads what the server logged so far (so a chatty server never blocks on
  // a full pipe), waiting up to `wait` for the first bytes.
  const std::string& log(std::chrono::milliseconds wait = 0ms);
  int pid() const { return pid_; }
  // Resident memory of the process (VmRSS).
  std::size_t rss_bytes() const;

 private:
  bool read_log(std::chrono::steady_clock::time_point deadline);
  int pid_ = -1;
  int log_fd_ = -1;
  std::string log_;
  std::uint16_t port_ = 0;
  std::uint16_t tls_port_ = 0;
  std::uint16_t metrics_port_ = 0;
};

// {"error": {"code": c, ...}} -> c; empty when `v` is not an error record.
std::string error_code_of(const Value& v);

// Sends `request` (a dict) with "deadline_ms" and "id" added and expects
// deadline_exceeded for it, never before the deadline and at most `late`
// after it (generous: a loaded 2-core machine).
void expect_deadline_exceeded_on_time(Client& c, Value request, int deadline_ms, int id,
                                      std::chrono::milliseconds late = 700ms);

// `n` connections, each answered once (so the server counts them as served).
std::vector<std::unique_ptr<Client>> served_clients(std::uint16_t port, int n, const char* source = nullptr);
// The connection's first and only record is server_busy, then the server closes.
void expect_refused_as_busy(Client& c);

}  // namespace crous::test
