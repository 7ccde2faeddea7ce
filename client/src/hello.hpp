#pragma once
// The compression hello on a freshly connected Transport, as one
// asynchronous operation that both clients run as the last step of their
// connect: the synchronous client on its private io_context within the
// connect deadline, the asynchronous one on its strand, its connect timer
// still armed. After it the stack is TCP, TLS (if any), LZ4 (if chosen),
// FLUX records, and neither client has to ask which.
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>

#include "crous/client/compression.hpp"
#include "crous/flux.hpp"
#include "net_error.hpp"
#include "request_buffer.hpp"
#include "response_reader.hpp"
#include "transport.hpp"

namespace crous::client::detail {

// Writes the hello offering `offered`, reads the answer (both plain) and,
// when the server chose LZ4, switches `outbox` and `reader` to it: every
// byte after the hello, both ways, is compressed (docs/protocol.md, the
// switch point). Then calls done(std::optional<ClientError> error,
// Compression chosen) once. Errors: hello_failed (parse_hello_answer), the
// read errors of a response (read_error: a TLS 1.3 server refusing the
// client certificate says so here), and connection_closed or
// truncated_response for a server that closes before answering. The caller
// bounds it in time by closing the transport, which ends it with an error.
// `transport`, `reader`, `outbox` and `peer` must outlive the operation.
template <class Done>
void async_hello(Transport& transport, ResponseReader& reader, RequestBuffer& outbox, Compression offered,
                 const std::string& peer, Done done);

template <class Done>
class HelloOperation : public std::enable_shared_from_this<HelloOperation<Done>> {
 public:
  HelloOperation(Transport& transport, ResponseReader& reader, RequestBuffer& outbox, Compression offered,
                 const std::string& peer, Done done)
      : transport_(transport),
        reader_(reader),
        outbox_(outbox),
        offered_(offered),
        peer_(peer),
        request_(encode_flux(hello_request(offered))),
        done_(std::move(done)) {}

  void start() {
    transport_.async_write(boost::asio::buffer(request_), [self = this->shared_from_this()](
                                                               const boost::system::error_code& ec, std::size_t) {
      // A server that closes at once has usually said why first (server_busy
      // is the first and only record of a connection it cannot take): read
      // that rather than report the failed write.
      if (ec && !is_peer_close(ec)) return self->finish(transfer_error(ec, "sending the compression hello to", self->peer_));
      self->read();
    });
  }

 private:
  void read() {
    transport_.async_read_some(buffer_of(reader_.prepare()), [self = this->shared_from_this()](
                                                                 const boost::system::error_code& ec, std::size_t bytes) {
      self->on_read(ec, bytes);
    });
  }

  void on_read(const boost::system::error_code& ec, std::size_t bytes) {
    std::optional<ClientError> error;
    std::optional<Compression> chosen;
    try {
      reader_.commit(bytes);
      if (std::optional<Value> answer = reader_.next()) {
        const HelloAnswer hello = parse_hello_answer(*answer, offered_, peer_);
        if (hello.compression == Compression::lz4) {
          reader_.start_lz4(hello.format);
          outbox_.start_lz4(hello.format);
        }
        chosen = hello.compression;
      }
    } catch (const ClientError& e) {
      error = e;
    }
    // done_ runs outside the try: what it throws is not the hello's failure.
    if (error) return finish(*error);
    if (chosen) return done_(std::nullopt, *chosen);
    if (!ec) return read();
    const ClientError closed =
        reader_.mid_record()
            ? ClientError(ClientErrc::truncated_response, peer_ + " closed the connection inside its answer to the compression hello")
            : ClientError(ClientErrc::connection_closed, peer_ + " closed the connection without answering the compression hello");
    finish(read_error(ec, peer_, reader_.received_any(), transport_.ssl(), closed));
  }

  void finish(const ClientError& error) { done_(error, Compression::none); }

  Transport& transport_;
  ResponseReader& reader_;
  RequestBuffer& outbox_;
  Compression offered_;
  const std::string& peer_;
  Bytes request_;  // the hello's bytes, alive until written
  Done done_;
};

template <class Done>
void async_hello(Transport& transport, ResponseReader& reader, RequestBuffer& outbox, Compression offered,
                 const std::string& peer, Done done) {
  std::make_shared<HelloOperation<Done>>(transport, reader, outbox, offered, peer, std::move(done))->start();
}

}  // namespace crous::client::detail
