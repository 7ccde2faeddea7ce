#include "echo_options.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <utility>

namespace crous::echo {

const char* const usage_text =
    "usage: crous-echo [--host H] [--port P] [--op OP] [--format crout|json|flux]\n"
    "                  [--timeout MS] [--quiet] [--count N [--pipeline K]]\n"
    "                  [--tls] [--cacert FILE] [--cert FILE --key FILE]\n"
    "                  [--servername NAME] [--insecure] [--compress lz4|none]\n"
    "                  [--reconnect] [--reconnect-attempts N] [--idempotent]\n"
    "                  [RECORD ...]\n"
    "\n"
    "Sends records to a crous-server and prints each response.\n"
    "  RECORD          CROUT text ({s4:name:s5:Alice}), JSON ({\"name\": \"Alice\"}),\n"
    "                  or @file holding FLUX, CROUT or JSON records (many allowed).\n"
    "                  With no RECORD, records are read from stdin (same formats);\n"
    "                  with --op and no RECORD, the record is {\"op\": OP}.\n"
    "  --host H        server address (default 127.0.0.1)\n"
    "  --port P        server port (default $CROUS_PORT, else 7878)\n"
    "  --op OP         set the \"op\" field of every (dict) record\n"
    "  --format F      response format: crout (pretty, default), json or flux\n"
    "  --timeout MS    connect and response timeout in milliseconds (default 5000)\n"
    "  --quiet         print nothing; only the exit status tells (health checks)\n"
    "  --count N       benchmark: send the one record N times and print a summary\n"
    "  --pipeline K    benchmark: keep K calls in flight (default 1)\n"
    "  --compress C    lz4: ask the server to LZ4-compress the connection both\n"
    "                  ways (a server that declines is used uncompressed, with a\n"
    "                  warning); none (default): no hello, plain records\n"
    "  --reconnect     when the server closes the connection, reconnect (backoff,\n"
    "                  at most 6 attempts) for the requests not sent yet; those\n"
    "                  sent but not answered are reported (not_answered), not\n"
    "                  resent; --count's summary counts both\n"
    "  --reconnect-attempts N  connect attempts per reconnect (implies --reconnect)\n"
    "  --idempotent    the requests may be processed twice: resend those a lost\n"
    "                  connection left unanswered (implies --reconnect)\n"
    "\n"
    "TLS (each of these flags turns TLS on; the server's certificate is verified\n"
    "unless --insecure):\n"
    "  --tls              connect with TLS; trust the system's CAs, check the name H\n"
    "  --cacert FILE      trust the CA certificates in FILE (PEM) instead\n"
    "  --cert FILE        client certificate (PEM) for servers that require one\n"
    "  --key FILE         private key (PEM, unencrypted) of --cert\n"
    "  --servername NAME  name sent (SNI) and checked in the certificate instead of H\n"
    "  --insecure         do not verify the server's certificate (tests only; warns)\n"
    "\n"
    "Environment (flags win): CROUS_PORT for --port; CROUS_CLIENT_TLS=1 for --tls;\n"
    "CROUS_CLIENT_TLS_CA_FILE, CROUS_CLIENT_TLS_CERT_FILE, CROUS_CLIENT_TLS_KEY_FILE,\n"
    "CROUS_CLIENT_TLS_SERVER_NAME for --cacert, --cert, --key, --servername;\n"
    "CROUS_CLIENT_COMPRESSION for --compress.\n"
    "\n"
    "Exit status: 0 all responses fine, 1 some response was an error record,\n"
    "2 bad command line, input or TLS file, 3 connection failed (refused, timeout,\n"
    "closed, TLS handshake refused, compression hello failed; with --reconnect:\n"
    "some request not answered, or the reconnect gave up).\n";

namespace {

client::Compression parse_compression(std::string_view name, std::string_view text) {
  if (text == "lz4") return client::Compression::lz4;
  if (text == "none") return client::Compression::none;
  throw UsageError(std::string(name) + ": expected lz4 or none, got '" + std::string(text) + "'");
}

// CROUS_CLIENT_TLS accepts the usual spellings of a switch.
bool parse_switch(std::string_view name, std::string_view text) {
  if (text == "1" || text == "true" || text == "yes" || text == "on") return true;
  if (text == "0" || text == "false" || text == "no" || text == "off") return false;
  throw UsageError(std::string(name) + ": expected 1 or 0, got '" + std::string(text) + "'");
}

const char* environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr && *value != '\0' ? value : nullptr;
}

// The client's TLS variables. They are not the server's CROUS_TLS_* on
// purpose: a health check runs in the server's environment, where
// CROUS_TLS_CERT_FILE is the server's own certificate, not a client's.
void read_tls_environment(client::TlsOptions& tls) {
  if (const char* on = environment("CROUS_CLIENT_TLS")) tls.enabled = parse_switch("CROUS_CLIENT_TLS", on);
  if (const char* file = environment("CROUS_CLIENT_TLS_CA_FILE")) tls.ca_file = file;
  if (const char* file = environment("CROUS_CLIENT_TLS_CERT_FILE")) tls.cert_file = file;
  if (const char* file = environment("CROUS_CLIENT_TLS_KEY_FILE")) tls.key_file = file;
  if (const char* name = environment("CROUS_CLIENT_TLS_SERVER_NAME")) tls.server_name = name;
}

void check(EchoOptions& options) {
  client::TlsOptions& tls = options.tls;
  // Any TLS setting means TLS: asking for a CA file and getting plain TCP
  // would be a silent downgrade.
  if (!tls.ca_file.empty() || !tls.cert_file.empty() || !tls.key_file.empty() || !tls.server_name.empty() ||
      !tls.verify_peer) {
    tls.enabled = true;
  }
  if (tls.cert_file.empty() != tls.key_file.empty()) {
    throw UsageError("--cert (CROUS_CLIENT_TLS_CERT_FILE) and --key (CROUS_CLIENT_TLS_KEY_FILE) go together");
  }
  if (options.count) {
    const std::size_t records = options.records.size() + (options.records.empty() && options.op ? 1 : 0);
    if (records != 1) throw UsageError("--count needs exactly one RECORD (or --op without RECORD)");
  }
  if (options.pipeline > 1 && !options.count) throw UsageError("--pipeline only applies with --count");
}

}  // namespace

std::optional<EchoOptions> parse_echo_args(int argc, char** argv) {
  EchoOptions options;
  // The server's own variable, so a health check inside a container whose
  // port was moved with CROUS_PORT follows it.
  if (const char* port = environment("CROUS_PORT")) {
    options.port = cli::Args::parse_number<unsigned short>("CROUS_PORT", port, 1);
  }
  read_tls_environment(options.tls);
  if (const char* compression = environment("CROUS_CLIENT_COMPRESSION")) {
    options.compression = parse_compression("CROUS_CLIENT_COMPRESSION", compression);
  }
  const cli::Args args(argc - 1, argv + 1,
                       {{"--host", true}, {"--port", true}, {"--op", true}, {"--format", true}, {"--timeout", true},
                        {"--quiet", false, "-q"}, {"--count", true}, {"--pipeline", true}, {"--tls", false},
                        {"--cacert", true}, {"--cert", true}, {"--key", true}, {"--servername", true},
                        {"--insecure", false}, {"--compress", true}, {"--reconnect", false},
                        {"--reconnect-attempts", true}, {"--idempotent", false}});
  if (args.printed_help(usage_text)) return std::nullopt;
  options.host = args.value("--host").value_or(options.host);
  options.port = args.number<unsigned short>("--port", 1).value_or(options.port);
  if (auto op = args.value("--op")) options.op = std::move(*op);
  if (auto format = args.choice("--format", {"crout", "json", "flux"})) options.format = *json::parse_format(*format);
  if (auto ms = args.number<long>("--timeout", 1)) options.timeout = std::chrono::milliseconds(*ms);
  options.quiet = args.flag("--quiet");
  options.count = args.number<std::size_t>("--count", 1);
  options.pipeline = args.number<std::size_t>("--pipeline", 1).value_or(options.pipeline);
  if (args.flag("--tls")) options.tls.enabled = true;
  if (auto file = args.value("--cacert")) options.tls.ca_file = std::move(*file);
  if (auto file = args.value("--cert")) options.tls.cert_file = std::move(*file);
  if (auto file = args.value("--key")) options.tls.key_file = std::move(*file);
  if (auto name = args.value("--servername")) options.tls.server_name = std::move(*name);
  if (args.flag("--insecure")) options.tls.verify_peer = false;
  if (auto compression = args.value("--compress")) options.compression = parse_compression("--compress", *compression);
  if (auto attempts = args.number<unsigned>("--reconnect-attempts", 1)) options.reconnect.max_attempts = *attempts;
  options.idempotent = args.flag("--idempotent");
  // Asking for a bound on reconnects, or for resending, asks for reconnects.
  options.reconnect.enabled = args.flag("--reconnect") || args.flag("--reconnect-attempts") || options.idempotent;
  options.records = args.positional();
  check(options);
  return options;
}

void warn_if_declined(const EchoOptions& options, client::Compression chosen) {
  if (options.quiet || options.compression == chosen) return;
  std::fprintf(stderr, "crous-echo: the server declined --compress %s; the connection is uncompressed\n",
               std::string(client::to_string(options.compression)).c_str());
}

client::Options client_options(const EchoOptions& options) {
  return client::Options{.connect_timeout = options.timeout,
                         .timeout = options.timeout,
                         .tls = options.tls,
                         .compression = options.compression,
                         .reconnect = options.reconnect};
}

client::CallOptions call_options(const EchoOptions& options) { return {.idempotent = options.idempotent}; }

}  // namespace crous::echo
