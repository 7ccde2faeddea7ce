#pragma once
// Turns socket error codes into ClientErrors that say what was being done.
#include <cstdint>
#include <span>
#include <string>
#include <string_view>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include "crous/client/error.hpp"

namespace crous::client::detail {

ClientError resolve_error(const boost::system::error_code& ec, const std::string& peer);
ClientError connect_error(const boost::system::error_code& ec, const std::string& peer);
// True for the ways a peer closing the connection shows up (EOF, reset, EPIPE).
bool is_peer_close(const boost::system::error_code& ec) noexcept;
// A failure while sending or receiving; a peer close is connection_closed.
ClientError transfer_error(const boost::system::error_code& ec, std::string_view doing, const std::string& peer);
ClientError timeout_error(std::string_view doing, const std::string& peer, long long millis);

inline boost::asio::mutable_buffer buffer_of(std::span<std::uint8_t> space) noexcept {
  return {space.data(), space.size()};
}

std::string peer_name(std::string_view host, unsigned short port);

}  // namespace crous::client::detail
