#pragma once
#include <chrono>

#include "crous/limits.hpp"

namespace crous::client {

// Settings shared by the synchronous and the asynchronous client.
struct Options {
  // Bound on establishing the connection (resolve + TCP connect).
  std::chrono::milliseconds connect_timeout{5000};
  // Bound on each flush and each wait for a response. A request whose
  // response does not arrive in time fails with ClientErrc::timeout and
  // closes the connection: responses come in order, so a late one can never
  // be matched again.
  std::chrono::milliseconds timeout{10000};
  // Applied to responses; the defaults match the server's.
  Limits limits{};
};

inline constexpr unsigned short default_port = 7878;
inline constexpr const char* default_host = "127.0.0.1";

}  // namespace crous::client
