#pragma once
// A TLS echo server on a real loopback socket, for the client's TLS tests:
// it accepts any number of connections on 127.0.0.1, does the server side
// of the handshake with a certificate from a TestPki (optionally requiring
// a client certificate), and writes back every byte it reads. Echoing FLUX
// records means each request comes back as its own response, which both
// clients accept. It runs on its own thread with Asio's ssl::stream, the
// same OpenSSL a crous server would use, and records how each connection
// ended, so tests can check what the client sent (or refused) on the wire.
#include <condition_variable>
#include <cstddef>
#include <filesystem>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>

namespace crous::test {

class TlsEchoPeer {
 public:
  struct Config {
    std::filesystem::path cert{};  // the server's certificate and key (TestPki::issue_server)
    std::filesystem::path key{};
    // Non-empty: clients must present a certificate signed by this CA, as
    // a server doing mutual TLS would. A client without one is refused.
    std::filesystem::path client_ca{};
    // Cap the peer at TLS 1.2, where a refused client certificate fails
    // the handshake itself rather than the client's first read (TLS 1.3).
    bool tls12_only = false;
  };

  explicit TlsEchoPeer(const Config& config);
  ~TlsEchoPeer();  // stops the thread; open connections are dropped
  TlsEchoPeer(const TlsEchoPeer&) = delete;
  TlsEchoPeer& operator=(const TlsEchoPeer&) = delete;

  unsigned short port() const noexcept { return port_; }

  // How connections ended, in the order they did, waiting (up to 10 s)
  // until at least `count` have:
  //   "close_notify"      the client said goodbye properly
  //   "truncated"         the client closed without close_notify
  //   "handshake: <why>"  the handshake failed on this side (OpenSSL's reason)
  //   anything else       the error message that ended the connection
  std::vector<std::string> endings(std::size_t count);

  // The subject CN of the client certificate of each completed handshake,
  // "" when the client sent none.
  std::vector<std::string> client_names();

 private:
  class Session;
  void accept();
  void record_ending(std::string ending);
  void record_client(std::string name);

  // Before io_: the sessions io_ still holds when it is destroyed use it.
  boost::asio::ssl::context context_;
  boost::asio::io_context io_;
  boost::asio::ip::tcp::acceptor acceptor_;
  unsigned short port_ = 0;
  std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<std::string> endings_;
  std::vector<std::string> client_names_;
  std::thread thread_;
};

}  // namespace crous::test
