#include "tls_peer.hpp"

#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <array>
#include <chrono>
#include <stdexcept>

#include <boost/asio/ip/address_v4.hpp>
#include <boost/asio/ssl/error.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/asio/write.hpp>
#include <gtest/gtest.h>

namespace crous::test {

namespace asio = boost::asio;
namespace ssl = asio::ssl;
using asio::ip::tcp;
using boost::system::error_code;

namespace {

std::string subject_cn(SSL* ssl) {
  X509* cert = SSL_get0_peer_certificate(ssl);
  if (cert == nullptr) return {};
  char cn[256] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert), NID_commonName, cn, sizeof cn);
  return cn;
}

}  // namespace

// One connection: handshake, then read and write back until the client
// goes. Handlers hold a shared_ptr; everything runs on the peer's thread.
class TlsEchoPeer::Session : public std::enable_shared_from_this<Session> {
 public:
  Session(TlsEchoPeer& peer, tcp::socket socket) : peer_(peer), stream_(std::move(socket), peer.context_) {}

  void start() {
    stream_.async_handshake(ssl::stream_base::server, [self = shared_from_this()](const error_code& ec) {
      if (ec) {
        // Like a server refusing a client: the alert went out with the
        // failed handshake; close right away.
        self->peer_.record_ending("handshake: " + ec.message());
        error_code ignored;
        self->stream_.next_layer().close(ignored);
        return;
      }
      self->peer_.record_client(subject_cn(self->stream_.native_handle()));
      self->read();
    });
  }

 private:
  void read() {
    stream_.async_read_some(asio::buffer(buffer_), [self = shared_from_this()](const error_code& ec, std::size_t bytes) {
      if (ec) return self->finish(ec);
      asio::async_write(self->stream_, asio::buffer(self->buffer_.data(), bytes),
                        [self](const error_code& write_ec, std::size_t) {
                          if (write_ec) return self->finish(write_ec);
                          self->read();
                        });
    });
  }

  void finish(const error_code& ec) {
    if (ec == asio::error::eof) {
      // The client's close_notify: answer with ours, as a polite server does.
      peer_.record_ending("close_notify");
      stream_.async_shutdown([self = shared_from_this()](const error_code&) {
        error_code ignored;
        self->stream_.next_layer().close(ignored);
      });
      return;
    }
    peer_.record_ending(ec == ssl::error::stream_truncated ? std::string("truncated") : ec.message());
    error_code ignored;
    stream_.next_layer().close(ignored);
  }

  TlsEchoPeer& peer_;
  ssl::stream<tcp::socket> stream_;
  std::array<char, 16384> buffer_;
};

TlsEchoPeer::TlsEchoPeer(const Config& config)
    : context_(ssl::context::tls_server), acceptor_(io_, tcp::endpoint(asio::ip::address_v4::loopback(), 0)) {
  port_ = acceptor_.local_endpoint().port();
  SSL_CTX_set_min_proto_version(context_.native_handle(), TLS1_2_VERSION);
  if (config.tls12_only) SSL_CTX_set_max_proto_version(context_.native_handle(), TLS1_2_VERSION);
  context_.use_certificate_chain_file(config.cert.string());
  context_.use_private_key_file(config.key.string(), ssl::context::pem);
  if (!config.client_ca.empty()) {
    context_.load_verify_file(config.client_ca.string());
    context_.set_verify_mode(ssl::verify_peer | ssl::verify_fail_if_no_peer_cert);
  }
  accept();
  thread_ = std::thread([this] { io_.run(); });
}

TlsEchoPeer::~TlsEchoPeer() {
  io_.stop();
  thread_.join();
}

void TlsEchoPeer::accept() {
  acceptor_.async_accept([this](const error_code& ec, tcp::socket socket) {
    if (ec) return;
    std::make_shared<Session>(*this, std::move(socket))->start();
    accept();
  });
}

void TlsEchoPeer::record_ending(std::string ending) {
  std::lock_guard lock(mutex_);
  endings_.push_back(std::move(ending));
  changed_.notify_all();
}

void TlsEchoPeer::record_client(std::string name) {
  std::lock_guard lock(mutex_);
  client_names_.push_back(std::move(name));
}

std::vector<std::string> TlsEchoPeer::endings(std::size_t count) {
  std::unique_lock lock(mutex_);
  if (!changed_.wait_for(lock, std::chrono::seconds(10), [&] { return endings_.size() >= count; })) {
    ADD_FAILURE() << "TLS peer: " << endings_.size() << " connection(s) ended within 10 s, expected " << count;
  }
  return endings_;
}

std::vector<std::string> TlsEchoPeer::client_names() {
  std::lock_guard lock(mutex_);
  return client_names_;
}

}  // namespace crous::test
