#include "raw_peer.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <optional>
#include <stdexcept>
#include <string>
#include <utility>

#include <gtest/gtest.h>

#include "crous/flux.hpp"
#include "crous/record_scanner.hpp"

namespace crous::test {

namespace {

constexpr int io_timeout_ms = 10'000;

int bound_socket(unsigned short& port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind() failed");
  socklen_t size = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  port = ntohs(addr.sin_port);
  return fd;
}

void set_io_timeouts(int fd) {
  timeval tv{io_timeout_ms / 1000, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
}

int accept_one(int listener) {
  pollfd p{listener, POLLIN, 0};
  if (::poll(&p, 1, io_timeout_ms) != 1) return -1;
  const int fd = ::accept(listener, nullptr, nullptr);
  if (fd >= 0) set_io_timeouts(fd);
  return fd;
}

}  // namespace

RawPeer::RawPeer(Script script, std::size_t connections) : RawPeer(std::vector<Script>(connections, script)) {}

RawPeer::RawPeer(std::vector<Script> scripts) {
  listener_ = bound_socket(port_);
  ::listen(listener_, 4);
  thread_ = std::thread([this, scripts = std::move(scripts)] {
    for (std::size_t i = 0; i < scripts.size(); ++i) {
      const int fd = accept_one(listener_);
      if (fd < 0) {
        ADD_FAILURE() << "raw peer: no client connection " << i + 1 << " within " << io_timeout_ms << " ms";
        break;
      }
      // After the last connection the peer is gone: connecting is refused.
      if (i + 1 == scripts.size()) ::close(std::exchange(listener_, -1));
      try {
        scripts[i](fd);
      } catch (const std::exception& e) {
        ADD_FAILURE() << "raw peer script " << i + 1 << " failed: " << e.what();
      }
      ::close(fd);
    }
  });
}

RawPeer::~RawPeer() {
  thread_.join();
  if (listener_ >= 0) ::close(listener_);
}

namespace {

// The next request, read one byte at a time (which keeps the bytes of later
// records in the socket, where the next call or the client's close finds
// them); nullopt when the stream ends cleanly before one starts.
std::optional<Value> read_one_request(int fd) {
  std::vector<std::uint8_t> record;
  RecordScanner scanner;
  std::uint8_t byte = 0;
  for (;;) {
    const ssize_t got = ::recv(fd, &byte, 1, 0);
    if (got == 0 && record.empty()) return std::nullopt;
    if (got != 1) throw std::runtime_error("raw peer: request stream ended or timed out");
    record.push_back(byte);
    const auto result = scanner.feed({&byte, 1});
    if (result.status == RecordScanner::Status::error) throw scanner.error();
    if (result.status == RecordScanner::Status::complete) return decode_flux(ByteView(record));
  }
}

}  // namespace

std::vector<Value> RawPeer::read_requests(int fd, std::size_t count) {
  std::vector<Value> requests;
  while (requests.size() < count) {
    std::optional<Value> request = read_one_request(fd);
    if (!request) throw std::runtime_error("raw peer: request stream ended");
    requests.push_back(std::move(*request));
  }
  return requests;
}

std::vector<Value> RawPeer::echo_until_close(int fd) {
  std::vector<Value> answered;
  while (std::optional<Value> request = read_one_request(fd)) {
    write_bytes(fd, encode_flux(*request));
    answered.push_back(std::move(*request));
  }
  return answered;
}

void RawPeer::write_bytes(int fd, const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t n = ::send(fd, bytes.data() + done, bytes.size() - done, MSG_NOSIGNAL);
    if (n <= 0) throw std::runtime_error("raw peer: send failed");
    done += static_cast<std::size_t>(n);
  }
}

void RawPeer::wait_for_close(int fd) {
  std::uint8_t buffer[4096];
  while (::recv(fd, buffer, sizeof buffer, 0) > 0) {
  }
}

FullListener::FullListener() {
  listener_ = bound_socket(port_);
  ::listen(listener_, 0);
  // Linux admits backlog + 1 connections; this one fills the queue.
  filler_ = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port_);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(filler_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    throw std::runtime_error("full listener: filler connection failed");
  }
}

FullListener::~FullListener() {
  ::close(filler_);
  ::close(listener_);
}

RefusingPort::RefusingPort() { fd_ = bound_socket(port_); }
RefusingPort::~RefusingPort() { ::close(fd_); }

}  // namespace crous::test
