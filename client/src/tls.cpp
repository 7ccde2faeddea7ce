#include "crous/client/tls.hpp"

#include <arpa/inet.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>

#include <string>

#include "crous/client/error.hpp"

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

}  // namespace

std::shared_ptr<ssl::context> make_tls_context(const TlsOptions& options) {
  auto context = std::make_shared<ssl::context>(ssl::context::tls_client);
  SSL_CTX* handle = context->native_handle();
  SSL_CTX_set_min_proto_version(handle, TLS1_2_VERSION);
  boost::system::error_code ec;
  if (options.verify_peer) {
    if (options.ca_file.empty()) context->set_default_verify_paths(ec);
    else context->load_verify_file(options.ca_file, ec);
    if (ec) config_error("cannot load CA file '" + options.ca_file + "'", ec);
    context->set_verify_mode(ssl::verify_peer, ec);
  } else {
    context->set_verify_mode(ssl::verify_none, ec);
  }
  if (!options.cert_file.empty() || !options.key_file.empty()) {
    if (options.cert_file.empty() || options.key_file.empty())
      throw ClientError(ClientErrc::tls_config, "a client certificate needs both cert_file and key_file");
    context->use_certificate_chain_file(options.cert_file, ec);
    if (ec) config_error("cannot load certificate file '" + options.cert_file + "'", ec);
    context->use_private_key_file(options.key_file, ssl::context::pem, ec);
    if (ec) config_error("cannot load key file '" + options.key_file + "'", ec);
    if (SSL_CTX_check_private_key(handle) != 1)
      throw ClientError(ClientErrc::tls_config,
                        "key file '" + options.key_file + "' does not match certificate '" + options.cert_file + "'");
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
  std::string text = ec.message();
  if (ssl != nullptr) {
    const long verify = SSL_get_verify_result(ssl);
    if (verify != X509_V_OK) text += std::string(" (") + X509_verify_cert_error_string(verify) + ")";
  }
  return text;
}

}  // namespace crous::client
