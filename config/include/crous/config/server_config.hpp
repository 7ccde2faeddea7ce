#pragma once
// Settings of crous-server and of any service embedding crous::server::Server.
// Defaults here are the documented defaults (config/crous-server.conf); the
// loader in config_loader.hpp layers a file, CROUS_* variables and flags on top.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace crous::config {

enum class LogFormat : std::uint8_t { text, json };
std::string_view to_string(LogFormat format) noexcept;

enum class TlsVersion : std::uint8_t { v1_2, v1_3 };

// What a client's hello may switch its connection to (docs/protocol.md).
enum class Compression : std::uint8_t { off, lz4 };
std::string_view to_string(Compression compression) noexcept;  // "off", "lz4"
std::string_view to_string(TlsVersion version) noexcept;       // "1.2", "1.3"

struct ServerConfig {
  std::string listen_address = "127.0.0.1";
  // Plain (cleartext) listener; nullopt = off ("port = off"); 0 picks an
  // ephemeral port (tests).
  std::optional<std::uint16_t> port = 7878;
  unsigned threads = 0;  // I/O threads; 0 = hardware concurrency
  unsigned workers = 4;  // threads running offloaded handlers

  std::string route_key = "op";        // dict field naming the handler
  std::string default_route = "echo";  // handler for records without one

  std::size_t max_connections = 10'000;
  std::size_t max_connections_per_ip = 0;  // 0 = no per-address limit
  std::size_t max_record_bytes = std::size_t{16} << 20;
  unsigned max_depth = 256;
  std::size_t high_watermark = std::size_t{1} << 20;  // pending output that pauses reading
  // Server-wide bound on bytes held for unfinished records; 0 = 25% of
  // physical memory, at most 1 GiB (see max_buffered_input()).
  std::size_t max_buffered_bytes = 0;
  std::size_t max_offloads_per_connection = 64;  // offloaded and async requests in flight that pause reading

  std::chrono::milliseconds idle_timeout{300'000};
  std::chrono::milliseconds write_timeout{30'000};
  std::chrono::milliseconds record_timeout{30'000};  // a started record must be complete within this
  std::chrono::milliseconds drain_timeout{8'000};

  // TLS listener, next to or instead of the plain one; nullopt = off.
  std::optional<std::uint16_t> tls_port;
  std::string tls_cert_file;  // PEM certificate chain, leaf first (required with tls_port)
  std::string tls_key_file;   // PEM private key of the certificate
  std::string tls_ca_file;    // PEM CA bundle; when set, clients must present a certificate it signed (mTLS)
  // Client certificates allowed in, by subject CN or SAN entry (DNS, email,
  // URI); empty = any certificate tls_ca_file verifies. Needs tls_ca_file.
  std::vector<std::string> tls_allowed_clients;
  TlsVersion tls_min_version = TlsVersion::v1_2;
  std::chrono::milliseconds handshake_timeout{10'000};

  // Behind a load balancer that sends the PROXY protocol v2 header
  // (HAProxy's send-proxy-v2): every connection, on both ports, must start
  // with one, and its source address is the client's for logs and
  // max_connections_per_ip. Off: a header is never trusted (it is just bytes
  // that are not FLUX). The header must arrive within handshake_timeout.
  bool proxy_protocol = false;

  // Offered to clients whose hello asks for it; off answers every hello
  // with "none" and connections stay uncompressed.
  Compression compression = Compression::lz4;

  // Operators' HTTP listener (GET /metrics, /healthz, /readyz); nullopt =
  // off ("metrics_port = off"), 0 picks an ephemeral port (tests). Its own
  // address, so it can be firewalled apart from the record port.
  std::optional<std::uint16_t> metrics_port;
  std::string metrics_address = "127.0.0.1";  // IPv4 (the HTTP server, Debian's civetweb, has no IPv6)

  std::string log_level = "info";  // trace, debug, info, warn, error, critical, off
  LogFormat log_format = LogFormat::text;

  // The settings that only make sense together (a TLS port needs a
  // certificate, something must listen, ...); throws std::invalid_argument
  // naming the option. Files are checked when the server loads them.
  void validate() const;

  // threads, with 0 resolved to the hardware concurrency (at least 1).
  unsigned io_threads() const noexcept;
  // max_buffered_bytes, with 0 resolved to min(25% of physical memory, 1 GiB).
  std::size_t max_buffered_input() const noexcept;
};

}  // namespace crous::config
