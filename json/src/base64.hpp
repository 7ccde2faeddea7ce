#pragma once
// Standard base64 (RFC 4648 alphabet, '=' padding), for {"$bytes": ...} in JSON.
#include <optional>
#include <string>
#include <string_view>

#include "crous/value.hpp"

namespace crous::json {

std::string base64_encode(const Bytes& bytes);
// nullopt unless `text` is well-formed padded base64.
std::optional<Bytes> base64_decode(std::string_view text);

}  // namespace crous::json
