#pragma once
// Command line of crous-echo.
#include <chrono>
#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <vector>

#include "crous/client/options.hpp"
#include "crous/cli/args.hpp"
#include "crous/json/format.hpp"

namespace crous::echo {

struct EchoOptions {
  std::string host = "127.0.0.1";
  unsigned short port = 7878;
  std::optional<std::string> op;     // sets the "op" field of dict records
  json::Format format = json::Format::crout;  // of the responses printed
  std::chrono::milliseconds timeout{5000};
  bool quiet = false;                // no output; the exit code tells
  std::optional<std::size_t> count;  // benchmark: repeat the record N times
  std::size_t pipeline = 1;          // benchmark: calls in flight
  std::vector<std::string> records;  // CROUT, JSON or @file
  client::TlsOptions tls;            // --tls and friends (tls.enabled: use TLS)
  client::Compression compression = client::Compression::none;  // --compress
  client::ReconnectPolicy reconnect{};  // --reconnect, --reconnect-attempts (reconnect.enabled: on)
  bool idempotent = false;              // --idempotent: requests lost with a connection are resent
};

// Bad command line (the parser's, shared with the crous tool and crous-bench);
// the message says what is wrong.
using UsageError = cli::UsageError;

// Parses argv (after the CROUS_PORT, CROUS_CLIENT_TLS* and
// CROUS_CLIENT_COMPRESSION variables, which flags override). Returns nullopt after printing --help. Any TLS setting
// turns TLS on (tls.enabled).
std::optional<EchoOptions> parse_echo_args(int argc, char** argv);

// The client settings the options ask for (timeouts, TLS, compression,
// reconnects).
client::Options client_options(const EchoOptions& options);

// After connect: a warning on stderr (unless --quiet) when --compress asked
// for compression and the server chose none. Not an error: the records
// still go through, only uncompressed.
void warn_if_declined(const EchoOptions& options, client::Compression chosen);

// The per-call options (--idempotent).
client::CallOptions call_options(const EchoOptions& options);

extern const char* const usage_text;

}  // namespace crous::echo
