#pragma once
// Everything between "a Transport" and "a connection that carries records",
// as one asynchronous operation: resolve the host (an IP address is used as
// it is, so no resolver thread starts for it), connect, shake hands over
// TLS, exchange the compression hello (async_hello). The Pool's connections
// open through it.
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/ip/address.hpp>
#include <boost/asio/ip/tcp.hpp>

#include "hello.hpp"
#include "net_error.hpp"
#include "request_buffer.hpp"
#include "response_reader.hpp"
#include "transport.hpp"

namespace crous::client::detail {

// Calls done(std::optional<ClientError> error, Compression chosen) once:
// resolve_failed, connection_refused, connect_failed, tls_handshake_failed
// or the hello's errors. `step` follows the operation (a timeout's message
// says which step it interrupted). The caller bounds it in time by closing
// the transport and cancelling the resolver, which ends it with an error;
// everything passed by reference must outlive it.
template <class Done>
void async_establish(Transport& transport, boost::asio::ip::tcp::resolver& resolver, const std::string& host,
                     unsigned short port, ResponseReader& reader, RequestBuffer& outbox, Compression compression,
                     const std::string& peer, ConnectStep& step, Done done);

template <class Done>
class EstablishOperation : public std::enable_shared_from_this<EstablishOperation<Done>> {
 public:
  using tcp = boost::asio::ip::tcp;
  using error_code = boost::system::error_code;

  EstablishOperation(Transport& transport, tcp::resolver& resolver, ResponseReader& reader, RequestBuffer& outbox,
                     Compression compression, const std::string& peer, ConnectStep& step, Done done)
      : transport_(transport),
        resolver_(resolver),
        reader_(reader),
        outbox_(outbox),
        compression_(compression),
        peer_(peer),
        step_(step),
        done_(std::move(done)) {}

  void start(const std::string& host, unsigned short port) {
    step_ = ConnectStep::tcp;
    error_code not_literal;
    const auto address = boost::asio::ip::make_address(host, not_literal);
    if (!not_literal) {
      transport_.socket().async_connect(
          tcp::endpoint(address, port),
          [self = this->shared_from_this()](const error_code& ec) { self->connected(ec); });
      return;
    }
    resolver_.async_resolve(
        host, std::to_string(port),
        [self = this->shared_from_this()](const error_code& ec, const tcp::resolver::results_type& found) {
          if (ec) return self->finish(resolve_error(ec, self->peer_));
          boost::asio::async_connect(
              self->transport_.socket(), found,
              [self](const error_code& connect_ec, const tcp::endpoint&) { self->connected(connect_ec); });
        });
  }

 private:
  void connected(const error_code& ec) {
    if (ec) return finish(connect_error(ec, peer_));
    error_code ignored;
    transport_.socket().set_option(tcp::no_delay(true), ignored);
    if (!transport_.is_tls()) return hello();
    step_ = ConnectStep::tls_handshake;
    transport_.async_handshake([self = this->shared_from_this()](const error_code& handshake_ec) {
      if (handshake_ec) return self->finish(handshake_error(handshake_ec, self->peer_, self->transport_.ssl()));
      self->hello();
    });
  }

  void hello() {
    if (compression_ == Compression::none) return done_(std::nullopt, Compression::none);
    step_ = ConnectStep::hello;
    async_hello(transport_, reader_, outbox_, compression_, peer_, std::move(done_));
  }

  void finish(const ClientError& error) { done_(error, Compression::none); }

  Transport& transport_;
  tcp::resolver& resolver_;
  ResponseReader& reader_;
  RequestBuffer& outbox_;
  Compression compression_;
  const std::string& peer_;
  ConnectStep& step_;
  Done done_;
};

template <class Done>
void async_establish(Transport& transport, boost::asio::ip::tcp::resolver& resolver, const std::string& host,
                     unsigned short port, ResponseReader& reader, RequestBuffer& outbox, Compression compression,
                     const std::string& peer, ConnectStep& step, Done done) {
  std::make_shared<EstablishOperation<Done>>(transport, resolver, reader, outbox, compression, peer, step,
                                             std::move(done))
      ->start(host, port);
}

}  // namespace crous::client::detail
