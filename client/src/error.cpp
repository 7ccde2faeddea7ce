#include "crous/client/error.hpp"

#include <utility>

namespace crous::client {

std::string_view to_string(ClientErrc code) noexcept {
  switch (code) {
    case ClientErrc::resolve_failed: return "resolve_failed";
    case ClientErrc::connection_refused: return "connection_refused";
    case ClientErrc::connect_failed: return "connect_failed";
    case ClientErrc::timeout: return "timeout";
    case ClientErrc::connection_closed: return "connection_closed";
    case ClientErrc::truncated_response: return "truncated_response";
    case ClientErrc::malformed_response: return "malformed_response";
    case ClientErrc::unexpected_response: return "unexpected_response";
    case ClientErrc::not_connected: return "not_connected";
    case ClientErrc::io_error: return "io_error";
    case ClientErrc::tls_config: return "tls_config";
    case ClientErrc::tls_handshake_failed: return "tls_handshake_failed";
    case ClientErrc::hello_failed: return "hello_failed";
    case ClientErrc::not_answered: return "not_answered";
    case ClientErrc::cancelled: return "cancelled";
  }
  return "unknown";
}

ClientError::ClientError(ClientErrc code, const std::string& message)
    : std::runtime_error(std::string(to_string(code)) + ": " + message), code_(code) {}

ServerError::ServerError(std::string code, std::string message, std::optional<Value> id)
    : std::runtime_error("server error " + code + ": " + message),
      code_(std::move(code)),
      message_(std::move(message)),
      id_(std::move(id)) {}

std::optional<ServerError> server_error_in(const Value& response) {
  const Value* error = response.find("error");
  if (error == nullptr || !error->is_dict()) return std::nullopt;
  const Value* code = error->find("code");
  const Value* message = error->find("message");
  if (code == nullptr || !code->is_string() || message == nullptr || !message->is_string()) return std::nullopt;
  std::optional<Value> id;
  if (const Value* found = response.find("id")) id = *found;
  return ServerError(code->as_string(), message->as_string(), std::move(id));
}

Value throw_if_error(Value response) {
  if (auto error = server_error_in(response)) throw std::move(*error);
  return response;
}

}  // namespace crous::client
