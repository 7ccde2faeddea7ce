#include "flux_connection.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

namespace crous::test {
namespace {

using Clock = std::chrono::steady_clock;

int remaining_ms(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return static_cast<int>(left < 0 ? 0 : left);
}

}  // namespace

FluxConnection::FluxConnection(const std::string& address, std::uint16_t port, std::chrono::milliseconds timeout) {
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  if (::inet_pton(AF_INET, address.c_str(), &addr.sin_addr) != 1)
    throw std::invalid_argument("not an IPv4 address: " + address);
  fd_ = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd_ < 0) throw std::system_error(errno, std::generic_category(), "socket");
  const std::string where = address + ":" + std::to_string(port);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    if (errno != EINPROGRESS) {
      const int err = errno;
      ::close(fd_);
      throw std::system_error(err, std::generic_category(), "connect " + where);
    }
    pollfd p{fd_, POLLOUT, 0};
    int err = 0;
    socklen_t size = sizeof err;
    if (::poll(&p, 1, static_cast<int>(timeout.count())) != 1 ||
        ::getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &size) != 0 || err != 0) {
      ::close(fd_);
      throw std::system_error(err != 0 ? err : ETIMEDOUT, std::generic_category(), "connect " + where);
    }
  }
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) & ~O_NONBLOCK);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
}

FluxConnection::~FluxConnection() {
  if (fd_ >= 0) ::close(fd_);
}

void FluxConnection::send_bytes(const Bytes& bytes) {
  std::size_t at = 0;
  while (at < bytes.size()) {
    const ssize_t n = ::send(fd_, bytes.data() + at, bytes.size() - at, MSG_NOSIGNAL);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "send");
    }
    at += static_cast<std::size_t>(n);
  }
}

Value FluxConnection::read(std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto record = buf_.next()) return decode_flux(*record);
    pollfd p{fd_, POLLIN, 0};
    if (::poll(&p, 1, remaining_ms(deadline)) != 1) throw std::runtime_error("no response within the timeout");
    std::uint8_t chunk[16384];
    const ssize_t n = ::recv(fd_, chunk, sizeof chunk, 0);
    if (n == 0) throw std::runtime_error("the server closed the connection");
    if (n < 0) {
      if (errno == EINTR) continue;
      throw std::system_error(errno, std::generic_category(), "recv");
    }
    buf_.append({chunk, static_cast<std::size_t>(n)});
  }
}

std::uint16_t FluxConnection::local_port() const {
  sockaddr_in addr{};
  socklen_t size = sizeof addr;
  ::getsockname(fd_, reinterpret_cast<sockaddr*>(&addr), &size);
  return ntohs(addr.sin_port);
}

Bytes proxy_local_header() {
  // Signature, version 2 / LOCAL, AF_UNSPEC, no address block.
  return {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a, 0x20, 0x00, 0x00, 0x00};
}

Value instance_stats(const std::string& address, std::uint16_t port, bool proxy_protocol) {
  FluxConnection c(address, port);
  if (proxy_protocol) c.send_bytes(proxy_local_header());
  return c.call(Dict{{"op", "stats"}});
}

}  // namespace crous::test
