#pragma once
// Errors a crous client reports. Two families, never mixed up:
//   ServerError - the server answered with an error record; the connection is
//                 still in step and the next response can be read.
//   ClientError - the transport failed (refused, timed out, closed, garbled);
//                 the connection is unusable afterwards (with the reconnect
//                 policy on, the client replaces it: not_answered then says
//                 a request was sent and its response never came).
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "crous/value.hpp"

namespace crous::client {

enum class ClientErrc : std::uint8_t {
  resolve_failed,        // host name did not resolve
  connection_refused,    // nothing listens on host:port
  connect_failed,        // any other connect failure (unreachable, reset, ...)
  timeout,               // connect, flush or receive took longer than allowed
  connection_closed,     // server closed the connection between responses
  truncated_response,    // server closed the connection inside a response
  malformed_response,    // response bytes are not a valid FLUX record
  unexpected_response,   // a response arrived with no request waiting for it
  not_connected,         // used before connect(), or after a failure/close()
  io_error,              // any other socket error while sending or receiving
  tls_config,            // a TLS file could not be used (unreadable, not PEM, key does not match)
  tls_handshake_failed,  // the TLS handshake failed (untrusted or wrong-name certificate, refused by the server, ...)
  hello_failed,          // the server answered the compression hello with an error record or an answer not understood
  not_answered,  // (reconnect policy) sent, but the connection ended before its response: may or may not have been
                 // processed
  cancelled,     // a Pool call ended by its CallContext being cancelled (or the Pool closed); the request may have been
                 // sent
};

// Stable lower-case name, e.g. "connection_refused".
std::string_view to_string(ClientErrc code) noexcept;

class ClientError : public std::runtime_error {
 public:
  ClientError(ClientErrc code, const std::string& message);
  ClientErrc code() const noexcept { return code_; }

 private:
  ClientErrc code_;
};

// An error record from the server:
//   {"error": {"code": <string>, "message": <string>}, "id": <request id>}
class ServerError : public std::runtime_error {
 public:
  ServerError(std::string code, std::string message, std::optional<Value> id = std::nullopt);

  // Machine-readable code: unknown_op, handler_error, decode_error,
  // record_too_large, server_busy, shutting_down, or an application code.
  const std::string& code() const noexcept { return code_; }
  const std::string& message() const noexcept { return message_; }
  // The "id" of the failed request, when the request carried one.
  const std::optional<Value>& id() const noexcept { return id_; }

 private:
  std::string code_;
  std::string message_;
  std::optional<Value> id_;
};

// The ServerError a response stands for, or nullopt when it is a normal
// response. A record counts as an error record only if it has the exact
// shape above (an "error" dict with string "code" and "message").
std::optional<ServerError> server_error_in(const Value& response);

// Returns `response` unchanged, or throws the ServerError it carries.
Value throw_if_error(Value response);

}  // namespace crous::client
