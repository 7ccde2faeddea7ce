#include "crous/client/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <string>

#include "crous/client/error.hpp"
#include "net_error.hpp"

namespace crous::client {
namespace {

namespace ssl = boost::asio::ssl;

bool is_ip_literal(const std::string& host) {
  unsigned char buf[16];
  return inet_pton(AF_INET, host.c_str(), buf) == 1 || inet_pton(AF_INET6, host.c_str(), buf) == 1;
}

[[noreturn]] void config_error(const std::string& what, const boost::system::error_code& ec) {
  throw ClientError(ClientErrc::tls_config, what + ": " + ec.message());
}

// OpenSSL reports a missing or unreadable file as a bare "system lib" error;
// opening it first gives the reason in words ("No such file or directory").
void require_readable(const std::string& path, const std::string& what) {
  std::FILE* file = std::fopen(path.c_str(), "rb");
  if (file == nullptr) {
    const int error = errno;
    throw ClientError(ClientErrc::tls_config, "cannot read " + what + " '" + path + "': " + std::strerror(error));
  }
  std::fclose(file);
}

// OpenSSL's reason code inside an error from Asio's SSL category.
int ssl_reason(const boost::system::error_code& ec) {
  if (ec.category() != boost::asio::error::get_ssl_category()) return 0;
  return ERR_GET_REASON(static_cast<unsigned long>(ec.value()));
}

// What a TLS alert the server sent means for this client, when there is
// something to add to OpenSSL's words. Alerts received show up as reason
// SSL_AD_REASON_OFFSET + the alert number.
std::string alert_hint(int reason, SSL* ssl) {
  if (reason <= SSL_AD_REASON_OFFSET) return {};
  const bool have_cert = ssl != nullptr && SSL_get_certificate(ssl) != nullptr;
  switch (reason - SSL_AD_REASON_OFFSET) {
    case SSL_AD_CERTIFICATE_REQUIRED:
      return "the server requires a client certificate: set cert_file and key_file";
    case SSL_AD_HANDSHAKE_FAILURE:
      // TLS 1.2 servers answer a missing client certificate this way, and
      // servers that check more than the chain (crous-server's
      // tls_allowed_clients) one they do not accept.
      return have_cert ? "the server may have refused the client certificate"
                       : "the server may require a client certificate";
    case SSL_AD_BAD_CERTIFICATE:
    case SSL_AD_UNSUPPORTED_CERTIFICATE:
    case SSL_AD_CERTIFICATE_REVOKED:
    case SSL_AD_CERTIFICATE_EXPIRED:
    case SSL_AD_CERTIFICATE_UNKNOWN:
    case SSL_AD_UNKNOWN_CA:
    case SSL_AD_ACCESS_DENIED:
      // The only certificate a server judges is the client's.
      return have_cert ? "the server refused the client certificate" : std::string();
    default:
      return {};
  }
}

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const TlsOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* handle = context->native_handle();
  SSL_CTX_set_min_proto_version(handle, TLS1_2_VERSION);
  // The clients read and write a stream at the same time (flush reads while
  // it writes; the async client always keeps a read pending). A TLS 1.2
  // renegotiation would make a read need to write handshake messages in the
  // middle of that, so it is refused; crous servers never ask for one.
  SSL_CTX_set_options(handle, SSL_OP_NO_RENEGOTIATION);
  // An encrypted key must fail as tls_config, never prompt on a terminal
  // (a health check or a service has nobody to answer).
  SSL_CTX_set_default_passwd_cb(handle, [](char*, int, int, void*) { return 0; });
  boost::system::error_code ec;
  if (options.verify_peer) {
    if (options.ca_file.empty()) {
      context->set_default_verify_paths(ec);
    } else {
      require_readable(options.ca_file, "CA file");
      context->load_verify_file(options.ca_file, ec);
    }
    if (ec) {
      config_error(options.ca_file.empty() ? std::string("cannot load the system's trusted CAs")
                                           : "cannot load CA file '" + options.ca_file + "' (PEM certificates expected)",
                   ec);
    }
    context->set_verify_mode(ssl::verify_peer, ec);
  } else {
    context->set_verify_mode(ssl::verify_none, ec);
  }
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (options.cert_file.empty() || options.key_file.empty())
      throw ClientError(ClientErrc::tls_config, "a client certificate needs both cert_file and key_file");
    require_readable(options.cert_file, "certificate file");
    require_readable(options.key_file, "key file");
    context->use_certificate_chain_file(options.cert_file, ec);
    if (ec) config_error("cannot load certificate file '" + options.cert_file + "' (PEM certificates expected)", ec);
    const auto mismatch = [&] {
      return ClientError(ClientErrc::tls_config,
                         "key file '" + options.key_file + "' does not match certificate '" + options.cert_file + "'");
    };
    context->use_private_key_file(options.key_file, ssl::context::pem, ec);
    // OpenSSL 3 already compares the key with the certificate here.
    if (ec && ssl_reason(ec) == X509_R_KEY_VALUES_MISMATCH) throw mismatch();
    if (ec) config_error("cannot load key file '" + options.key_file + "' (an unencrypted PEM key expected)", ec);
    if (SSL_CTX_check_private_key(handle) != 1) throw mismatch();
  }
  return context;
}

void prepare_tls_connection(SSL* ssl, const TlsOptions& options, std::string_view host) {
  const std::string name(options.server_name.empty() ? host : std::string_view(options.server_name));
  const bool ip = is_ip_literal(name);
  // RFC 6066: SNI carries host names only.
  if (!ip && !name.empty() && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1)
    throw ClientError(ClientErrc::tls_config, "cannot use '" + name + "' as TLS server name");
  if (!options.verify_peer || !options.verify_hostname) return;
  X509_VERIFY_PARAM* param = SSL_get0_param(ssl);
  const int ok = ip ? X509_VERIFY_PARAM_set1_ip_asc(param, name.c_str()) : SSL_set1_host(ssl, name.c_str());
  if (ok != 1) throw ClientError(ClientErrc::tls_config, "cannot verify the server against the name '" + name + "'");
}

std::string describe_tls_failure(const boost::system::error_code& ec, SSL* ssl) {
  if (detail::is_peer_close(ec))
    return "the server closed the connection during the TLS handshake (" + ec.message() + "; is it a TLS port?)";
  std::string text = ec.message();
  const int reason = ssl_reason(ec);
  // The verify result is only the cause when verification is what failed:
  // with verify_peer off OpenSSL still records one, and ignores it.
  if (reason == SSL_R_CERTIFICATE_VERIFY_FAILED && ssl != nullptr) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) text += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  }
  if (const std::string hint = alert_hint(reason, ssl); !hint.empty()) text += " (" + hint + ")";
  if (reason == SSL_R_WRONG_VERSION_NUMBER || reason == SSL_R_PACKET_LENGTH_TOO_LONG)
    text += " (the server does not speak TLS on this port?)";
  return text;
}

}  // namespace crous::client
