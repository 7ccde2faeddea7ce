#include "server_tls.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509v3.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <vector>

namespace crous::server::detail {
namespace {

namespace ssl = boost::asio::ssl;

// OpenSSL's most recent error, in words, and the queue cleared.
std::string openssl_reason() {
  std::string reason;
  while (const unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    const char* short_text = ERR_reason_error_string(code);
    reason = short_text ? short_text : text;
  }
  return reason.empty() ? "unknown OpenSSL error" : reason;
}

// A file the option names must be readable before OpenSSL gets it: its own
// error for a missing file is "system lib".
void require_readable(const char* option, const std::string& path) {
  std::ifstream file(path);
  if (!file) throw std::invalid_argument(std::string(option) + ": cannot read '" + path + "': " + std::strerror(errno));
}

[[noreturn]] void unusable(const char* option, const std::string& path, const std::string& what) {
  throw std::invalid_argument(std::string(option) + ": '" + path + "' " + what + " (" + openssl_reason() + ")");
}

bool equal_ignoring_case(std::string_view a, std::string_view b) {
  return std::equal(a.begin(), a.end(), b.begin(), b.end(),
                    [](char x, char y) { return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y)); });
}

// The names a client certificate goes by: subject CN, then SAN DNS names,
// emails and URIs.
std::vector<std::string> certificate_names(X509* cert) {
  std::vector<std::string> names;
  X509_NAME* subject = X509_get_subject_name(cert);
  for (int i = -1; (i = X509_NAME_get_index_by_NID(subject, NID_commonName, i)) >= 0;) {
    const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, i));
    unsigned char* utf8 = nullptr;
    const int n = ASN1_STRING_to_UTF8(&utf8, data);
    if (n >= 0) names.emplace_back(reinterpret_cast<char*>(utf8), static_cast<std::size_t>(n));
    OPENSSL_free(utf8);
  }
  auto* sans = static_cast<GENERAL_NAMES*>(X509_get_ext_d2i(cert, NID_subject_alt_name, nullptr, nullptr));
  for (int i = 0; sans && i < sk_GENERAL_NAME_num(sans); ++i) {
    const GENERAL_NAME* name = sk_GENERAL_NAME_value(sans, i);
    if (name->type != GEN_DNS && name->type != GEN_EMAIL && name->type != GEN_URI) continue;
    const ASN1_IA5STRING* text = name->d.ia5;
    std::string entry(reinterpret_cast<const char*>(ASN1_STRING_get0_data(text)),
                      static_cast<std::size_t>(ASN1_STRING_length(text)));
    if (std::find(names.begin(), names.end(), entry) == names.end()) names.push_back(std::move(entry));
  }
  GENERAL_NAMES_free(sans);
  return names;
}

int rejection_note_index() {
  static const int index = SSL_get_ex_new_index(0, nullptr, nullptr, nullptr, nullptr);
  return index;
}

}  // namespace

void ServerTls::set_rejection_note(SSL* ssl, std::string* note) { SSL_set_ex_data(ssl, rejection_note_index(), note); }

ServerTls::ServerTls(const Options& options) : options_(options), current_(load()) {}

std::shared_ptr<ssl::context> ServerTls::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

bool ServerTls::reload() noexcept {
  try {
    auto fresh = load();
    std::lock_guard lock(mutex_);
    current_ = std::move(fresh);
  } catch (const std::exception& e) {
    spdlog::error("TLS reload failed, keeping the current certificate: {}", e.what());
    return false;
  }
  spdlog::info("TLS material reloaded (certificate {}, key {}{}{}); new connections use it", options_.tls_cert_file,
               options_.tls_key_file, options_.tls_ca_file.empty() ? "" : ", CA ", options_.tls_ca_file);
  return true;
}

std::shared_ptr<ssl::context> ServerTls::load() const {
  ERR_clear_error();
  auto context = std::make_shared<ssl::context>(ssl::context::tls_server);
  SSL_CTX* handle = context->native_handle();
  SSL_CTX_set_min_proto_version(handle, options_.tls_min_version == config::TlsVersion::v1_3 ? TLS1_3_VERSION
                                                                                            : TLS1_2_VERSION);
  // Renegotiation is an old DoS lever and nothing here needs it; idle
  // connections give their OpenSSL read/write buffers back.
  SSL_CTX_set_options(handle, SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  SSL_CTX_set_mode(handle, SSL_MODE_RELEASE_BUFFERS);

  require_readable("tls_cert_file", options_.tls_cert_file);
  if (SSL_CTX_use_certificate_chain_file(handle, options_.tls_cert_file.c_str()) != 1)
    unusable("tls_cert_file", options_.tls_cert_file, "is not a PEM certificate chain");
  require_readable("tls_key_file", options_.tls_key_file);
  // OpenSSL checks the key against the certificate as it loads it.
  const std::string mismatch = "does not match tls_cert_file '" + options_.tls_cert_file + "'";
  if (SSL_CTX_use_PrivateKey_file(handle, options_.tls_key_file.c_str(), SSL_FILETYPE_PEM) != 1) {
    const bool wrong_key = ERR_GET_REASON(ERR_peek_last_error()) == X509_R_KEY_VALUES_MISMATCH;
    unusable("tls_key_file", options_.tls_key_file, wrong_key ? mismatch : "is not a PEM private key");
  }
  if (SSL_CTX_check_private_key(handle) != 1) unusable("tls_key_file", options_.tls_key_file, mismatch);

  if (!options_.tls_ca_file.empty()) {
    require_readable("tls_ca_file", options_.tls_ca_file);
    if (SSL_CTX_load_verify_locations(handle, options_.tls_ca_file.c_str(), nullptr) != 1)
      unusable("tls_ca_file", options_.tls_ca_file, "is not a PEM CA bundle");
    // Tells clients which CAs their certificate must come from.
    if (STACK_OF(X509_NAME)* names = SSL_load_client_CA_file(options_.tls_ca_file.c_str()))
      SSL_CTX_set_client_CA_list(handle, names);
    context->set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
    // Without it a client resuming a session after mutual TLS is refused.
    static constexpr unsigned char kSessionContext[] = "crous-server";
    SSL_CTX_set_session_id_context(handle, kSessionContext, sizeof kSessionContext - 1);
    if (!options_.tls_allowed_clients.empty()) {
      // The check runs inside the handshake, so a refused client gets a TLS
      // alert like any other certificate failure.
      context->set_verify_callback([allowed = options_.tls_allowed_clients](bool preverified,
                                                                            ssl::verify_context& verify) {
        X509_STORE_CTX* store = verify.native_handle();
        if (!preverified || X509_STORE_CTX_get_error_depth(store) != 0) return preverified;
        const auto names = certificate_names(X509_STORE_CTX_get_current_cert(store));
        for (const auto& name : names)
          for (const auto& ok : allowed)
            if (equal_ignoring_case(name, ok)) return true;
        auto* ssl = static_cast<SSL*>(X509_STORE_CTX_get_ex_data(store, SSL_get_ex_data_X509_STORE_CTX_idx()));
        if (auto* note = ssl ? static_cast<std::string*>(SSL_get_ex_data(ssl, rejection_note_index())) : nullptr) {
          *note = "client certificate (";
          for (std::size_t i = 0; i < names.size(); ++i) *note += (i ? ", " : "") + names[i];
          *note += ") is not in tls_allowed_clients";
        }
        X509_STORE_CTX_set_error(store, X509_V_ERR_APPLICATION_VERIFICATION);
        return false;
      });
    }
  }
  return context;
}

}  // namespace crous::server::detail
