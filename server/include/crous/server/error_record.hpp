#pragma once
// Error responses: {"error": {"code": <string>, "message": <string>}} plus
// "id" (copied from the request) when the request was a dict with an "id".
// docs/protocol.md lists when each code is sent and whether the connection closes.
#include <stdexcept>
#include <string>
#include <string_view>

#include "crous/value.hpp"

namespace crous::server {

namespace codes {
inline constexpr std::string_view unknown_op = "unknown_op";
inline constexpr std::string_view bad_request = "bad_request";  // e.g. a hello that is not the first record
inline constexpr std::string_view handler_error = "handler_error";
inline constexpr std::string_view handler_timeout = "handler_timeout";  // an offloaded or async route's timeout passed
inline constexpr std::string_view deadline_exceeded = "deadline_exceeded";  // the request's deadline_ms passed
inline constexpr std::string_view decode_error = "decode_error";            // then close
inline constexpr std::string_view record_too_large = "record_too_large";    // then close
inline constexpr std::string_view record_timeout = "record_timeout";        // then close
inline constexpr std::string_view server_busy = "server_busy";              // then close
inline constexpr std::string_view shutting_down = "shutting_down";          // then close
inline constexpr std::string_view tls_required = "tls_required";            // plain record on the TLS port; then close
}  // namespace codes

// `request` may be null (the request could not be decoded).
Value error_record(std::string_view code, std::string_view message, const Value* request = nullptr);

// Thrown by a handler to answer with its own error code instead of
// handler_error, e.g. throw HandlerError("not_found", "no user 42").
class HandlerError : public std::runtime_error {
 public:
  HandlerError(std::string code, const std::string& message) : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

}  // namespace crous::server
