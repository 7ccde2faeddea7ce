#pragma once
// Synchronous crous client. One TCP connection; requests are FLUX records,
// each answered by exactly one response record, in order.
//
//   crous::client::Client c;
//   c.connect("127.0.0.1", 7878, std::chrono::seconds(2));
//   crous::Value pong = c.call(crous::Dict{{"op", "ping"}});
//
//   for (auto& r : records) c.send(r);   // pipelining: buffer many...
//   c.flush();                           // ...write them in one go...
//   for (std::size_t i = 0; i < records.size(); ++i) use(c.receive());  // ...read in order
//
// Every blocking call is bounded by a timeout (Options). Failures throw
// ClientError (transport; the connection is closed afterwards) or
// ServerError (an error record; the connection stays usable).
// With Options::reconnect.enabled a connection the server closed is
// replaced by the next flush() (reconnect.hpp): each request sent then has
// one outcome, handed out by its receive() in order - its response, or
// not_answered (sent, no response: the server may have processed it), or
// the error that kept it from being sent.
// With Options::tls.enabled the connection is TLS (docs/client.md, "TLS");
// with Options::compression = lz4 the records travel LZ4-compressed when the
// server agrees ("Compression").
// Asio stays out of this header: the connection lives behind a pimpl.
#include <chrono>
#include <cstddef>
#include <memory>
#include <string_view>

#include "crous/client/error.hpp"
#include "crous/client/options.hpp"
#include "crous/value.hpp"

namespace crous::client {

class Client {
 public:
  explicit Client(Options options = {});
  ~Client();
  Client(Client&&) noexcept;
  Client& operator=(Client&&) noexcept;

  // Resolves and connects, then over TLS shakes hands, then, when
  // Options::compression asks for it, sends the compression hello and reads
  // the answer, all within the timeout; throws ClientError resolve_failed,
  // connection_refused, connect_failed, timeout, tls_config (a TLS file
  // cannot be used), tls_handshake_failed, or for the hello hello_failed
  // (an error record, an answer not understood) and connection_closed. A
  // TLS 1.3 server refusing the client certificate is only noticed at the
  // first read: the hello's, or else the first receive(), which throws
  // tls_handshake_failed. Closes any previous connection first.
  void connect(std::string_view host, unsigned short port, std::chrono::milliseconds timeout);
  void connect(std::string_view host, unsigned short port);  // Options::connect_timeout

  // Encodes `request` into the send buffer; nothing is written yet.
  // `options.idempotent`: with the reconnect policy on, the request may be
  // written again on a new connection if the one it went out on ends before
  // its response arrives.
  void send(const Value& request, const CallOptions& options = {});
  // Writes everything buffered by send(). While writing it also reads
  // responses into memory, so a long pipeline cannot deadlock against a
  // server that is blocked writing its answers. With the reconnect policy
  // on it first looks (without waiting) whether the server closed the
  // connection meanwhile, and reconnects if so; a connection lost or a
  // reconnect given up is then reported by receive(), request by request,
  // not thrown here.
  void flush();
  // The next response, in request order; an error record is thrown as
  // ServerError. Flushes first if send() left requests buffered. With the
  // reconnect policy on, also throws this request's own failure
  // (not_answered; a reconnect that gave up, with its last attempt's code;
  // timeout) and the next receive() goes on with the next request.
  Value receive();
  // Like receive(), but error records are returned as plain values.
  Value receive_record();
  // send + flush + receive. Throws UsageError if pipelined responses are
  // still unread (the answer would belong to an older request).
  Value call(const Value& request, const CallOptions& options = {});

  void set_timeout(std::chrono::milliseconds timeout) noexcept;
  // Requests sent whose responses have not been received yet.
  std::size_t outstanding() const noexcept;
  // With the reconnect policy on, false between a lost connection and the
  // flush() that reconnects.
  bool is_open() const noexcept;
  // What the server chose in the hello for this connection: lz4 or none
  // (also none when Options::compression is none, and before connect()).
  Compression compression() const noexcept;
  // What the reconnect policy did so far (all zero with it off).
  ReconnectStats reconnect_stats() const noexcept;
  // Over TLS, sends close_notify first and waits at most 100 ms (or the
  // timeout, if shorter) for the server's; the destructor does the same.
  void close() noexcept;

 private:
  class Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace crous::client
