#pragma once
#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>

#include "crous/client/reconnect.hpp"
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

// Compression of a connection's record streams (docs/client.md,
// "Compression"). Asked for with a hello as the connection's first record;
// the server may answer none, and the connection then stays plain.
enum class Compression : std::uint8_t {
  none,  // no hello: the connection is exactly as it always was
  lz4,   // LZ4 stream compression both ways, if the server agrees
};

// "none" or "lz4", the names the protocol's hello uses.
std::string_view to_string(Compression compression) noexcept;

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
  // What to ask the server for at connect (within connect_timeout). The
  // server's choice is Client::compression() / AsyncClient::compression().
  Compression compression = Compression::none;
  // Off by default. On: a connection the server closed (drain, restart,
  // reset) is replaced for the requests still to send; requests that were
  // sent but not answered fail with ClientErrc::not_answered unless marked
  // idempotent (CallOptions). See reconnect.hpp and docs/client.md.
  ReconnectPolicy reconnect{};
};

// Per call: Client::send / Client::call, AsyncClient::async_call.
struct CallOptions {
  // Processing the request twice is harmless (a read, a ping, a write that
  // sets rather than adds). With the reconnect policy on, an idempotent call
  // whose connection ended before its response arrived is written again on
  // the new connection instead of failing with not_answered. The caller
  // still sees one outcome; the server may have processed it more than once.
  bool idempotent = false;
};

inline constexpr unsigned short default_port = 7878;
inline constexpr const char* default_host = "127.0.0.1";

}  // namespace crous::client
