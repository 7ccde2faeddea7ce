#pragma once
#include <chrono>
#include <string>

#include "crous/limits.hpp"

namespace crous::client {

// TLS for a client connection (docs/client.md). Off unless `enabled`.
// Verification is on by default: the server's chain must lead to `ca_file`
// (or the system's trust store when empty) and its certificate must name the
// host (or `server_name`). Turning either off is explicit.
// (The `{}` initializers let designated initializers such as
// TlsOptions{.enabled = true, .ca_file = "ca.pem"} leave fields out without
// GCC's -Wmissing-field-initializers.)
struct TlsOptions {
  bool enabled = false;
  std::string ca_file{};      // PEM trust anchors; empty = the system's default paths
  std::string cert_file{};    // PEM client certificate (chain) for mutual TLS; empty = none
  std::string key_file{};     // PEM private key of cert_file
  std::string server_name{};  // SNI and the name verified; empty = the host passed to connect()
  bool verify_peer = true;      // false: accept any server certificate (tests only)
  bool verify_hostname = true;  // false: accept a valid chain whatever name it is for
};

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
  TlsOptions tls{};
};

inline constexpr unsigned short default_port = 7878;
inline constexpr const char* default_host = "127.0.0.1";

}  // namespace crous::client
