#pragma once
// The PROXY protocol v2 header (HAProxy's doc/proxy-protocol.txt, 2.2) that a
// load balancer sends with `send-proxy-v2` before anything else on the
// connection, naming the client it accepted the connection from. Socket-free
// and incremental: the session reads exactly the bytes asked for, so nothing
// past the header is taken from the socket (on the TLS port what follows
// belongs to OpenSSL).
//
//   ProxyHeader header;
//   while (header.state() == ProxyHeader::State::reading) {
//     std::span<std::uint8_t> room = header.room();          // what is still missing, at most
//     header.commit(recv(fd, room.data(), room.size()));     // fewer is fine: ask again
//   }
//   if (header.state() == ProxyHeader::State::invalid) log(header.error());
//   else if (header.source()) peer = *header.source();        // else: keep the socket's peer
//
// Bounded: the 16-byte fixed part, then the declared rest, which may be at
// most max_payload bytes (the largest address block, AF_UNIX's 216 bytes,
// plus 1 KiB of TLVs); TLVs are skipped, not interpreted.
#include <boost/asio/ip/tcp.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

namespace crous::server::detail {

class ProxyHeader {
 public:
  enum class State : std::uint8_t { reading, done, invalid };

  static constexpr std::size_t fixed_size = 16;
  static constexpr std::size_t max_payload = 216 + 1024;

  // Where the next bytes go: exactly what is still missing of the part
  // being read (the fixed part, then the declared rest), never more.
  std::span<std::uint8_t> room() noexcept;
  // `n` bytes were written into room(). Checks what it can as soon as it
  // can: a wrong first byte makes the header invalid at once.
  State commit(std::size_t n);

  State state() const noexcept { return state_; }
  // Why the header is invalid, for the log.
  const std::string& error() const noexcept { return error_; }
  std::size_t received() const noexcept { return received_; }
  // The size the header will have once complete (fixed_size until its
  // length field has arrived).
  std::size_t expected() const noexcept { return fixed_size + payload_; }

  // Once done: the LOCAL command (the proxy's own connection, a health
  // check: the socket's peer is the one to use).
  bool local() const noexcept { return local_; }
  // Once done: the client's address and port, for the PROXY command over
  // TCP/IPv4 or TCP/IPv6; nullopt for LOCAL and for the families that carry
  // no IP address (AF_UNSPEC, AF_UNIX), where the socket's peer is used.
  const std::optional<boost::asio::ip::tcp::endpoint>& source() const noexcept { return source_; }

 private:
  State fail(std::string why);
  State check_signature();
  State check_fixed_part();
  State finish();

  std::array<std::uint8_t, fixed_size + max_payload> bytes_{};
  std::size_t received_ = 0;
  std::size_t payload_ = 0;  // declared length of what follows the fixed part
  State state_ = State::reading;
  std::string error_;
  bool local_ = false;
  std::uint8_t family_ = 0;
  std::optional<boost::asio::ip::tcp::endpoint> source_;
};

}  // namespace crous::server::detail
