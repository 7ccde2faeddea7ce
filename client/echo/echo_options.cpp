#include "echo_options.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

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

template <class Number>
Number parse_number(std::string_view flag, std::string_view text, Number min) {
  Number value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || value < min) {
    throw UsageError(std::string(flag) + ": not a valid number: '" + std::string(text) + "'");
  }
  return value;
}

json::Format parse_output_format(std::string_view text) {
  if (const auto format = json::parse_format(text)) return *format;
  throw UsageError("--format: expected crout, json or flux, got '" + std::string(text) + "'");
}

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
    options.port = parse_number<unsigned short>("CROUS_PORT", port, 1);
  }
  read_tls_environment(options.tls);
  if (const char* compression = environment("CROUS_CLIENT_COMPRESSION")) {
    options.compression = parse_compression("CROUS_CLIENT_COMPRESSION", compression);
  }
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    auto value = [&]() -> std::string_view {
      if (i + 1 >= argc) throw UsageError(std::string(arg) + " needs a value");
      return argv[++i];
    };
    if (arg == "-h" || arg == "--help") {
      std::fputs(usage_text, stdout);
      return std::nullopt;
    } else if (arg == "--host") {
      options.host = value();
    } else if (arg == "--port") {
      options.port = parse_number<unsigned short>(arg, value(), 1);
    } else if (arg == "--op") {
      options.op = std::string(value());
    } else if (arg == "--format") {
      options.format = parse_output_format(value());
    } else if (arg == "--timeout") {
      options.timeout = std::chrono::milliseconds(parse_number<long>(arg, value(), 1));
    } else if (arg == "--quiet" || arg == "-q") {
      options.quiet = true;
    } else if (arg == "--count") {
      options.count = parse_number<std::size_t>(arg, value(), 1);
    } else if (arg == "--pipeline") {
      options.pipeline = parse_number<std::size_t>(arg, value(), 1);
    } else if (arg == "--tls") {
      options.tls.enabled = true;
    } else if (arg == "--cacert") {
      options.tls.ca_file = value();
    } else if (arg == "--cert") {
      options.tls.cert_file = value();
    } else if (arg == "--key") {
      options.tls.key_file = value();
    } else if (arg == "--servername") {
      options.tls.server_name = value();
    } else if (arg == "--insecure") {
      options.tls.verify_peer = false;
    } else if (arg == "--compress") {
      options.compression = parse_compression(arg, value());
    } else if (arg == "--reconnect") {
      options.reconnect.enabled = true;
    } else if (arg == "--reconnect-attempts") {
      options.reconnect.max_attempts = parse_number<unsigned>(arg, value(), 1);
      options.reconnect.enabled = true;
    } else if (arg == "--idempotent") {
      options.idempotent = true;
      options.reconnect.enabled = true;
    } else if (arg == "--") {
      options.records.insert(options.records.end(), argv + i + 1, argv + argc);
      break;
    } else if (arg.size() > 1 && arg.starts_with("--")) {
      throw UsageError("unknown option " + std::string(arg));
    } else {
      options.records.emplace_back(arg);
    }
  }
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
