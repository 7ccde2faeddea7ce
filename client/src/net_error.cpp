#include "net_error.hpp"

#include <boost/asio/error.hpp>

namespace crous::client::detail {

namespace asio_error = boost::asio::error;

ClientError resolve_error(const boost::system::error_code& ec, const std::string& peer) {
  return ClientError(ClientErrc::resolve_failed, "cannot resolve " + peer + ": " + ec.message());
}

ClientError connect_error(const boost::system::error_code& ec, const std::string& peer) {
  if (ec == asio_error::connection_refused) {
    return ClientError(ClientErrc::connection_refused, "connection to " + peer + " refused (is crous-server running?)");
  }
  return ClientError(ClientErrc::connect_failed, "cannot connect to " + peer + ": " + ec.message());
}

bool is_peer_close(const boost::system::error_code& ec) noexcept {
  return ec == asio_error::connection_reset || ec == asio_error::broken_pipe || ec == asio_error::eof;
}

ClientError transfer_error(const boost::system::error_code& ec, std::string_view doing, const std::string& peer) {
  if (is_peer_close(ec)) {
    return ClientError(ClientErrc::connection_closed, peer + " closed the connection while " + std::string(doing));
  }
  return ClientError(ClientErrc::io_error, std::string(doing) + " " + peer + " failed: " + ec.message());
}

ClientError timeout_error(std::string_view doing, const std::string& peer, long long millis) {
  return ClientError(ClientErrc::timeout,
                     std::string(doing) + " " + peer + " timed out after " + std::to_string(millis) + " ms");
}

std::string peer_name(std::string_view host, unsigned short port) {
  std::string name(host);
  if (name.find(':') != std::string::npos) name = "[" + name + "]";  // IPv6 literal
  return name + ":" + std::to_string(port);
}

}  // namespace crous::client::detail
