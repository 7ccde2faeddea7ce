#include "server_test_util.hpp"

#include <gtest/gtest.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <regex>
#include <stdexcept>
#include <system_error>

#include "crous/server/logging.hpp"
#include "test_support.hpp"

namespace crous::test {

crous::server::Options test_options() {
  crous::server::Options o;
  o.port = 0;
  o.threads = 2;
  o.workers = 2;
  o.drain_timeout = 5s;
  o.log_level = "warn";
  return o;
}

TestServer::TestServer(crous::server::Options options, const std::function<void(crous::server::Router&)>& setup)
    : server_(std::make_unique<crous::server::Server>(options)) {
  crous::server::configure_logging(options.log_level, options.log_format);
  if (setup) setup(server_->router());
  server_->start();
}

TestServer::~TestServer() {
  server_->shutdown();
  server_->wait();
}

Client::Client(std::uint16_t port, bool no_delay, int receive_buffer, const char* source) {
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  if (receive_buffer > 0) ::setsockopt(fd_, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  if (source) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    ::inet_pton(AF_INET, source, &local.sin_addr);
    if (::bind(fd_, reinterpret_cast<sockaddr*>(&local), sizeof local) != 0) {
      int err = errno;
      ::close(fd_);
      throw std::system_error(err, std::generic_category(), "bind");
    }
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    int err = errno;
    ::close(fd_);
    throw std::system_error(err, std::generic_category(), "connect");
  }
  int one = no_delay ? 1 : 0;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

Client::~Client() {
  if (fd_ >= 0) ::close(fd_);
}

void Client::send(const Value& value) { send_bytes(encode_flux(value)); }

void Client::send_bytes(const std::uint8_t* data, std::size_t size) {
  while (size > 0) {
    ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "send");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

std::size_t Client::send_some_nonblocking(const std::uint8_t* data, std::size_t size) {
  ssize_t n = ::send(fd_, data, size, MSG_NOSIGNAL | MSG_DONTWAIT);
  if (n < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) return 0;
    throw std::system_error(errno, std::generic_category(), "send");
  }
  return static_cast<std::size_t>(n);
}

void Client::shutdown_write() { ::shutdown(fd_, SHUT_WR); }

Client::Next Client::next(Value& out, std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    // Frame what is buffered first: responses often arrive many per segment.
    if (auto record = buf_.next()) {
      out = decode_flux(*record);
      return Next::record;
    }
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return Next::timeout;
    pollfd p{fd_, POLLIN, 0};
    int rc = ::poll(&p, 1, static_cast<int>(left.count()));
    if (rc < 0 && errno == EINTR) continue;
    if (rc == 0) return Next::timeout;
    std::uint8_t chunk[65536];
    ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      if (errno == ECONNRESET) return Next::reset;
      throw std::system_error(errno, std::generic_category(), "recv");
    }
    if (n == 0) return Next::eof;
    buf_.append({chunk, static_cast<std::size_t>(n)});
  }
}

Value Client::read(std::chrono::milliseconds timeout) {
  Value v;
  switch (next(v, timeout)) {
    case Next::record: return v;
    case Next::eof: throw std::runtime_error("server closed the connection instead of answering");
    case Next::reset: throw std::runtime_error("connection reset instead of an answer");
    case Next::timeout: break;
  }
  throw std::runtime_error("no answer within " + std::to_string(timeout.count()) + " ms");
}

std::size_t Client::receive_some(std::size_t max, std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(timeout.count())) <= 0) return 0;
  std::vector<std::uint8_t> chunk(max);
  ssize_t n = ::recv(fd_, chunk.data(), chunk.size(), 0);
  if (n <= 0) return 0;
  buf_.append({chunk.data(), static_cast<std::size_t>(n)});
  return static_cast<std::size_t>(n);
}

Client::Next Client::receive_raw(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout) {
  pollfd p{fd_, POLLIN, 0};
  const int rc = ::poll(&p, 1, static_cast<int>(timeout.count()));
  if (rc <= 0) return Next::timeout;
  std::uint8_t chunk[65536];
  const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
  if (n < 0) return errno == ECONNRESET ? Next::reset : Next::timeout;
  if (n == 0) return Next::eof;
  out.insert(out.end(), chunk, chunk + n);
  return Next::record;
}

bool Client::closed_without_more_data(std::chrono::milliseconds timeout) {
  Value v;
  auto r = next(v, timeout);
  return (r == Next::eof || r == Next::reset) && buf_.empty();
}

ServerProcess::ServerProcess(std::vector<std::string> args, const std::string& program, unsigned open_files) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) throw std::system_error(errno, std::generic_category(), "pipe2");
  std::string exe = (bin_dir() / program).string();
  args.insert(args.begin(), exe);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  pid_ = ::fork();
  if (pid_ == 0) {
    if (open_files != 0) {
      rlimit limit{open_files, open_files};
      ::setrlimit(RLIMIT_NOFILE, &limit);
    }
    ::dup2(fds[1], 2);
    ::execv(exe.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  log_fd_ = fds[0];
  static const std::regex listening("listening on [0-9.]+:([0-9]+)");
  std::smatch m;
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!std::regex_search(log_, m, listening))
    if (!read_log(deadline)) throw std::runtime_error(program + " did not start: " + log_);
  port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
  // "listening on A:P, TLS listening on A:Q ..." (both on one line).
  static const std::regex tls_listening("TLS listening on [0-9.]+:([0-9]+)");
  if (std::regex_search(log_, m, tls_listening)) tls_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
  // "..., metrics on http://A:M/metrics (...)".
  static const std::regex metrics_listening("metrics on http://[^ ]*:([0-9]+)/metrics");
  if (std::regex_search(log_, m, metrics_listening)) metrics_port_ = static_cast<std::uint16_t>(std::stoi(m[1]));
}

ServerProcess::~ServerProcess() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  if (log_fd_ >= 0) ::close(log_fd_);
}

void ServerProcess::signal(int sig) { ::kill(pid_, sig); }

int ServerProcess::wait_exit(std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (std::chrono::steady_clock::now() < deadline) {
    read_log(std::chrono::steady_clock::now() + 10ms);
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {
      pid_ = -1;
      while (read_log(std::chrono::steady_clock::now() + 10ms)) {
      }
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    }
  }
  return -1;
}

const std::string& ServerProcess::log(std::chrono::milliseconds wait) {
  if (log_fd_ >= 0 && read_log(std::chrono::steady_clock::now() + wait))
    while (read_log(std::chrono::steady_clock::now())) {
    }
  return log_;
}

std::size_t ServerProcess::rss_bytes() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.rfind("VmRSS:", 0) == 0) return std::stoull(line.substr(6)) * 1024;  // "VmRSS:  1234 kB"
  return 0;
}

bool ServerProcess::read_log(std::chrono::steady_clock::time_point deadline) {
  auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
  pollfd p{log_fd_, POLLIN, 0};
  if (::poll(&p, 1, static_cast<int>(std::max<long>(0, left.count()))) <= 0) return false;
  char buf[4096];
  ssize_t n = ::read(log_fd_, buf, sizeof buf);
  if (n <= 0) return false;
  log_.append(buf, static_cast<std::size_t>(n));
  return true;
}

std::string error_code_of(const Value& v) {
  if (!v.is_dict()) return {};
  const Value* e = v.find("error");
  if (!e || !e->is_dict()) return {};
  const Value* code = e->find("code");
  return code && code->is_string() ? code->as_string() : std::string();
}

void expect_deadline_exceeded_on_time(Client& c, Value request, int deadline_ms, int id,
                                      std::chrono::milliseconds late) {
  request.as_dict().insert_or_assign("deadline_ms", deadline_ms);
  request.as_dict().insert_or_assign("id", id);
  const auto sent = std::chrono::steady_clock::now();
  c.send(request);
  const Value v = c.read();
  const auto took =
      std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - sent).count();
  EXPECT_EQ(error_code_of(v), "deadline_exceeded") << v;
  EXPECT_EQ(v["id"], Value(id));
  EXPECT_GE(took, deadline_ms) << "answered before the deadline";
  EXPECT_LT(took, deadline_ms + late.count()) << "answered " << took - deadline_ms << " ms after the deadline";
}

std::vector<std::unique_ptr<Client>> served_clients(std::uint16_t port, int n, const char* source) {
  std::vector<std::unique_ptr<Client>> clients;
  for (int i = 0; i < n; ++i) {
    clients.push_back(std::make_unique<Client>(port, true, 0, source));
    clients.back()->send(Dict{{"op", "ping"}});
  }
  for (auto& c : clients) EXPECT_EQ(c->read(), Value(Dict{{"pong", true}}));
  return clients;
}

void expect_refused_as_busy(Client& c) {
  Value v = c.read();
  EXPECT_EQ(error_code_of(v), "server_busy") << v;
  EXPECT_TRUE(c.closed_without_more_data());
}

}  // namespace crous::test
