#include "tls_test_client.hpp"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/x509.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cerrno>
#include <stdexcept>
#include <system_error>

#include "crous/flux.hpp"

namespace crous::test {

namespace {
using Clock = std::chrono::steady_clock;

std::string queued_openssl_errors() {
  std::string out;
  while (unsigned long code = ERR_get_error()) {
    char text[256];
    ERR_error_string_n(code, text, sizeof text);
    if (!out.empty()) out += "; ";
    out += text;
  }
  return out;
}
}  // namespace

TlsClient::TlsClient(std::uint16_t port, TlsClientOptions options) {
  ctx_ = SSL_CTX_new(TLS_client_method());
  if (options.allow_legacy) {
    SSL_CTX_set_security_level(ctx_, 0);
    SSL_CTX_set_cipher_list(ctx_, "ALL:@SECLEVEL=0");
  }
  if (options.min_version) SSL_CTX_set_min_proto_version(ctx_, options.min_version);
  if (options.max_version) SSL_CTX_set_max_proto_version(ctx_, options.max_version);
  if (!options.ca_file.empty()) {
    if (SSL_CTX_load_verify_locations(ctx_, options.ca_file.c_str(), nullptr) != 1)
      throw std::runtime_error("test client: cannot load CA " + options.ca_file);
    SSL_CTX_set_verify(ctx_, SSL_VERIFY_PEER, nullptr);
  }
  if (!options.cert_file.empty()) {
    if (SSL_CTX_use_certificate_chain_file(ctx_, options.cert_file.c_str()) != 1 ||
        SSL_CTX_use_PrivateKey_file(ctx_, options.key_file.c_str(), SSL_FILETYPE_PEM) != 1)
      throw std::runtime_error("test client: cannot load " + options.cert_file + ": " + queued_openssl_errors());
  }
  fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  ::setsockopt(fd_, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd_, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) {
    const int err = errno;
    ::close(fd_);
    SSL_CTX_free(ctx_);
    throw std::system_error(err, std::generic_category(), "connect");
  }
  // Non-blocking, so every wait below is bounded by poll().
  ::fcntl(fd_, F_SETFL, ::fcntl(fd_, F_GETFL) | O_NONBLOCK);
  ssl_ = SSL_new(ctx_);
  SSL_set_fd(ssl_, fd_);
  SSL_set_tlsext_host_name(ssl_, "localhost");
  SSL_set1_host(ssl_, "localhost");
}

TlsClient::~TlsClient() {
  if (ssl_) SSL_free(ssl_);
  if (ctx_) SSL_CTX_free(ctx_);
  if (fd_ >= 0) ::close(fd_);
}

bool TlsClient::wait(short events, Clock::time_point deadline) {
  for (;;) {
    const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
    if (left <= 0) return false;
    pollfd p{fd_, events, 0};
    const int rc = ::poll(&p, 1, static_cast<int>(left));
    if (rc > 0) return true;
    if (rc == 0) return false;
    if (errno != EINTR) return false;
  }
}

std::string TlsClient::ssl_error(int rc) {
  const int code = SSL_get_error(ssl_, rc);
  std::string text = queued_openssl_errors();
  if (text.empty()) text = code == SSL_ERROR_SYSCALL ? "connection closed or reset (errno " + std::to_string(errno) + ")"
                                                     : "SSL error " + std::to_string(code);
  return text;
}

bool TlsClient::handshake(std::string& error, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    const int rc = SSL_connect(ssl_);
    if (rc == 1) return true;
    const int code = SSL_get_error(ssl_, rc);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      if (!wait(code == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) {
        error = "handshake timed out";
        return false;
      }
      continue;
    }
    error = ssl_error(rc);
    return false;
  }
}

void TlsClient::connect() {
  std::string error;
  if (!handshake(error)) throw std::runtime_error("TLS handshake failed: " + error);
}

void TlsClient::send(const Value& value) { send_bytes(encode_flux(value)); }

void TlsClient::send_bytes(const std::vector<std::uint8_t>& bytes) {
  std::size_t done = 0;
  const auto deadline = Clock::now() + std::chrono::seconds(30);
  while (done < bytes.size()) {
    const int rc = SSL_write(ssl_, bytes.data() + done, static_cast<int>(bytes.size() - done));
    if (rc > 0) {
      done += static_cast<std::size_t>(rc);
      continue;
    }
    const int code = SSL_get_error(ssl_, rc);
    if (code == SSL_ERROR_WANT_WRITE && wait(POLLIN | POLLOUT, deadline)) {
      // The server may be waiting for us to take its answers before it
      // reads more: take them meanwhile (into buf_), or both sides stall.
      read_available();
      continue;
    }
    if (code == SSL_ERROR_WANT_READ && wait(POLLIN, deadline)) continue;
    throw std::runtime_error("TLS write failed: " + ssl_error(rc));
  }
}

void TlsClient::read_available() {
  std::uint8_t chunk[16384];
  for (;;) {
    const int rc = SSL_read(ssl_, chunk, sizeof chunk);
    if (rc <= 0) {
      ERR_clear_error();  // WANT_READ, or an error the next read reports again
      return;
    }
    buf_.append({chunk, static_cast<std::size_t>(rc)});
  }
}

// One decrypted read appended to `out` (`record`), or why there was none.
TlsClient::Next TlsClient::read_some(std::vector<std::uint8_t>& out, Clock::time_point deadline) {
  for (;;) {
    std::uint8_t chunk[16384];
    const int rc = SSL_read(ssl_, chunk, sizeof chunk);
    if (rc > 0) {
      out.insert(out.end(), chunk, chunk + rc);
      return Next::record;
    }
    const int code = SSL_get_error(ssl_, rc);
    if (code == SSL_ERROR_WANT_READ || code == SSL_ERROR_WANT_WRITE) {
      if (!wait(code == SSL_ERROR_WANT_READ ? POLLIN : POLLOUT, deadline)) return Next::timeout;
      continue;
    }
    if (code == SSL_ERROR_ZERO_RETURN) return Next::close_notify;
    error_ = ssl_error(rc);
    // A TCP close without close_notify: OpenSSL 3 reports "unexpected eof".
    if (error_.find("unexpected eof") != std::string::npos) return Next::eof;
    return Next::failed;
  }
}

TlsClient::Next TlsClient::next(Value& out, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  for (;;) {
    if (auto record = buf_.next()) {
      out = decode_flux(*record);
      return Next::record;
    }
    std::vector<std::uint8_t> bytes;
    if (const Next got = read_some(bytes, deadline); got != Next::record) return got;
    buf_.append(bytes);
  }
}

TlsClient::Next TlsClient::receive_raw(std::vector<std::uint8_t>& out, std::chrono::milliseconds timeout) {
  if (!buf_.empty()) {
    const auto held = buf_.unconsumed();
    out.insert(out.end(), held.begin(), held.end());
    buf_.consume(held.size());
    return Next::record;
  }
  return read_some(out, Clock::now() + timeout);
}

Value TlsClient::read(std::chrono::milliseconds timeout) {
  Value v;
  switch (next(v, timeout)) {
    case Next::record: return v;
    case Next::close_notify: throw std::runtime_error("server closed (close_notify) instead of answering");
    case Next::eof: throw std::runtime_error("server closed the connection instead of answering");
    case Next::failed: throw std::runtime_error("TLS read failed: " + error_);
    case Next::timeout: break;
  }
  throw std::runtime_error("no answer within " + std::to_string(timeout.count()) + " ms");
}

std::string TlsClient::server_certificate_fingerprint() const {
  X509* cert = SSL_get1_peer_certificate(ssl_);
  if (!cert) return "";
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  X509_digest(cert, EVP_sha256(), md, &n);
  X509_free(cert);
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  for (unsigned i = 0; i < n; ++i) {
    out += hex[md[i] >> 4];
    out += hex[md[i] & 15];
  }
  return out;
}

bool tls_ping(std::uint16_t port, const TlsClientOptions& options, std::string* why) {
  TlsClient client(port, options);
  std::string error;
  if (!client.handshake(error)) {
    if (why) *why = "handshake: " + error;
    return false;
  }
  try {
    client.send(Dict{{"op", "ping"}});
  } catch (const std::exception& e) {
    if (why) *why = e.what();
    return false;
  }
  Value v;
  switch (client.next(v, std::chrono::seconds(10))) {
    case TlsClient::Next::record: return v.is_dict() && v.find("pong") != nullptr;
    case TlsClient::Next::close_notify: if (why) *why = "close_notify"; return false;
    case TlsClient::Next::eof: if (why) *why = "eof"; return false;
    case TlsClient::Next::failed: if (why) *why = client.last_error(); return false;
    case TlsClient::Next::timeout: if (why) *why = "timeout"; return false;
  }
  return false;
}

}  // namespace crous::test
