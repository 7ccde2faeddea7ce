#include "net_error.hpp"

#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>

#include "crous/client/tls.hpp"

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
  return ec == asio_error::connection_reset || ec == asio_error::broken_pipe || ec == asio_error::eof ||
         ec == boost::asio::ssl::error::stream_truncated;
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

ClientError connect_timeout_error(bool handshaking, const std::string& peer, long long millis) {
  return timeout_error(handshaking ? "TLS handshake with" : "connecting to", peer, millis);
}

ClientError handshake_error(const boost::system::error_code& ec, const std::string& peer, SSL* ssl) {
  return ClientError(ClientErrc::tls_handshake_failed, peer + ": " + describe_tls_failure(ec, ssl));
}

ClientError read_error(const boost::system::error_code& ec, const std::string& peer, bool received_any, SSL* ssl,
                       const ClientError& on_close) {
  if (!received_any && ec.category() == asio_error::get_ssl_category()) return handshake_error(ec, peer, ssl);
  if (is_peer_close(ec)) return on_close;
  return transfer_error(ec, "receiving from", peer);
}

std::string peer_name(std::string_view host, unsigned short port) {
  std::string name(host);
  if (name.find(':') != std::string::npos) name = "[" + name + "]";  // IPv6 literal
  return name + ":" + std::to_string(port);
}

}  // namespace crous::client::detail
