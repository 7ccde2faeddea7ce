#pragma once
// The server's TLS material: one OpenSSL context made from the options'
// files (certificate, key, CA, minimum version, allowed clients). reload()
// (SIGHUP) replaces it as a whole; a connection takes the current context
// when it is accepted and keeps it, so open connections carry on with the
// material they started with while new handshakes use the new one.
#include <boost/asio/ssl/context.hpp>

#include <memory>
#include <mutex>
#include <string>

#include "crous/server/server.hpp"

namespace crous::server::detail {

class ServerTls {
 public:
  // Throws std::invalid_argument naming the option and file that cannot be
  // used (unreadable, not PEM, key not matching the certificate).
  explicit ServerTls(const Options& options);

  std::shared_ptr<boost::asio::ssl::context> current() const;
  // Loads the files again; on failure keeps the current material and logs
  // why. Any thread.
  bool reload() noexcept;
  bool client_certificates_required() const noexcept { return !options_.tls_ca_file.empty(); }

  // Where the verify callback leaves the reason it refused a client
  // certificate (tls_allowed_clients), for the session's log line.
  static void set_rejection_note(SSL* ssl, std::string* note);

 private:
  std::shared_ptr<boost::asio::ssl::context> load() const;

  const Options& options_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace crous::server::detail
