#include "crous/error.hpp"

#include <string>

namespace crous {

std::string_view to_string(ErrorCode code) noexcept {
  switch (code) {
    case ErrorCode::truncated: return "truncated";
    case ErrorCode::bad_header: return "bad_header";
    case ErrorCode::unknown_tag: return "unknown_tag";
    case ErrorCode::varint_too_long: return "varint_too_long";
    case ErrorCode::limit_exceeded: return "limit_exceeded";
    case ErrorCode::depth_exceeded: return "depth_exceeded";
    case ErrorCode::invalid_utf8: return "invalid_utf8";
    case ErrorCode::trailing_bytes: return "trailing_bytes";
    case ErrorCode::invalid_value: return "invalid_value";
    case ErrorCode::syntax: return "syntax";
    case ErrorCode::usage: return "usage";
    case ErrorCode::bad_block: return "bad_block";
  }
  return "unknown";
}

DecodeError::DecodeError(ErrorCode code, std::size_t offset, std::string message)
    : std::runtime_error(std::string(to_string(code)) + " at byte " + std::to_string(offset) + ": " + message),
      code_(code),
      offset_(offset),
      message_(std::move(message)) {}

}  // namespace crous
