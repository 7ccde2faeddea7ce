#pragma once
// Turns socket error codes into ClientErrors that say what was being done.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <openssl/types.h>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include "crous/client/error.hpp"

namespace crous::client::detail {

ClientError resolve_error(const boost::system::error_code& ec, const std::string& peer);
ClientError connect_error(const boost::system::error_code& ec, const std::string& peer);
// True for the ways a peer closing the connection shows up (EOF, reset,
// EPIPE, and over TLS a close without close_notify: stream_truncated).
bool is_peer_close(const boost::system::error_code& ec) noexcept;
// A failure while sending or receiving; a peer close is connection_closed.
ClientError transfer_error(const boost::system::error_code& ec, std::string_view doing, const std::string& peer);
ClientError timeout_error(std::string_view doing, const std::string& peer, long long millis);
// A connect that ran out of time, saying which step it was in.
ClientError connect_timeout_error(bool handshaking, const std::string& peer, long long millis);
// A failed TLS handshake: "<host:port>: " + describe_tls_failure().
ClientError handshake_error(const boost::system::error_code& ec, const std::string& peer, SSL* ssl);

// The error a read that ended the stream with `ec` stands for. A TLS error
// before any byte of a response arrived is the server refusing the
// handshake: over TLS 1.3 a client learns that its certificate was refused
// (or missing) only at its first read, from the server's alert. A peer
// close is `on_close` (the caller knows whether it fell inside a response);
// anything else is io_error.
ClientError read_error(const boost::system::error_code& ec, const std::string& peer, bool received_any, SSL* ssl,
                       const ClientError& on_close);

inline boost::asio::mutable_buffer buffer_of(std::span<std::uint8_t> space) noexcept {
  return {space.data(), space.size()};
}

std::string peer_name(std::string_view host, unsigned short port);

}  // namespace crous::client::detail
