#pragma once
// The OpenSSL setup behind a client's TLS connections, made from TlsOptions.
// Public so other Asio code (crous-bench, services with their own streams)
// sets TLS up exactly as the clients do:
//
//   auto context = crous::client::make_tls_context(options.tls);
//   boost::asio::ssl::stream<tcp::socket> stream(io, *context);
//   crous::client::prepare_tls_connection(stream.native_handle(), options.tls, host);
//   ... connect stream.next_layer(), then stream.handshake(client) ...
#include <memory>
#include <string>
#include <string_view>

#include <boost/asio/ssl/context.hpp>

#include "crous/client/options.hpp"

namespace crous::client {

// TLS 1.2 or newer; trust anchors, client certificate and key from
// `options`; peer verification unless options.verify_peer is false (then
// ca_file is not read). Renegotiation is refused and an encrypted key fails
// rather than prompting for a passphrase. Throws ClientError(tls_config)
// naming the file that could not be used and why.
std::shared_ptr<boost::asio::ssl::context> make_tls_context(const TlsOptions& options);

// Prepares one connection before its handshake: SNI (for names, not IP
// literals) and, unless turned off, the check that the server's certificate
// is for `host` (or options.server_name when set). Throws
// ClientError(tls_config) if OpenSSL refuses the name.
void prepare_tls_connection(SSL* ssl, const TlsOptions& options, std::string_view host);

// The reason of a failed handshake in words: OpenSSL's error plus, when
// verifying the server's certificate failed, why ("certificate has
// expired", "hostname mismatch"), and a hint for alerts about the client's
// own certificate ("the server requires a client certificate ...").
std::string describe_tls_failure(const boost::system::error_code& ec, SSL* ssl);

}  // namespace crous::client
