#pragma once
// A TLS client for the server tests: OpenSSL directly over a POSIX socket,
// so the tests share neither the server's Asio TLS code nor the client
// library's. Timeouts by poll(); records framed with RecordBuffer.
#include <openssl/ssl.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

#include "crous/record_buffer.hpp"
#include "crous/value.hpp"

namespace crous::test {

struct TlsClientOptions {
  std::string ca_file{};    // verify the server against it; empty = no verification
  std::string cert_file{};  // client certificate for mutual TLS
  std::string key_file{};
  int min_version = 0;  // TLS1_VERSION ...; 0 = OpenSSL's default
  int max_version = 0;
  // Security level 0 and every cipher: lets a test client offer TLS 1.0/1.1,
  // which OpenSSL 3 otherwise refuses to speak at all.
  bool allow_legacy = false;
};

class TlsClient {
 public:
  TlsClient(std::uint16_t port, TlsClientOptions options);
  ~TlsClient();
  TlsClient(const TlsClient&) = delete;
  TlsClient& operator=(const TlsClient&) = delete;

  // The handshake; false with OpenSSL's reason in `error` when it fails.
  bool handshake(std::string& error, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  // handshake() that throws on failure.
  void connect();

  void send(const Value& value);
  // Writes everything; while the socket is full it reads the responses that
  // arrive (kept for next()), so long pipelines cannot deadlock.
  void send_bytes(const std::vector<std::uint8_t>& bytes);

  enum class Next { record, close_notify, eof, timeout, failed };
  // The next record; `failed` (with the reason in last_error()) for a TLS
  // alert or reset; close_notify for a clean TLS close; eof for a TCP close
  // without close_notify.
  Next next(Value& out, std::chrono::milliseconds timeout = std::chrono::seconds(10));
  Value read(std::chrono::milliseconds timeout = std::chrono::seconds(10));
  const std::string& last_error() const { return error_; }
  // Appends the decrypted bytes that arrive within `timeout`, unframed (for
  // compressed streams); `record` when some did. Bytes already framed-ahead
  // by next() come first.
  Next receive_raw(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout = std::chrono::seconds(10));

  // SHA-256 of the server certificate, hex: tells which certificate served.
  std::string server_certificate_fingerprint() const;
  std::string version() const { return SSL_get_version(ssl_); }
  int fd() const { return fd_; }

 private:
  bool wait(short events, std::chrono::steady_clock::time_point deadline);
  void read_available();
  Next read_some(std::vector<std::uint8_t>& out, std::chrono::steady_clock::time_point deadline);
  std::string ssl_error(int rc);

  int fd_ = -1;
  SSL_CTX* ctx_ = nullptr;
  SSL* ssl_ = nullptr;
  RecordBuffer buf_;
  std::string error_;
};

// A TLS client that has sent one ping; true when it got a pong, false when
// the server refused it (handshake failure or an alert/close instead of the
// answer, which is how TLS 1.3 reports a rejected client certificate).
bool tls_ping(std::uint16_t port, const TlsClientOptions& options, std::string* why = nullptr);

}  // namespace crous::test
