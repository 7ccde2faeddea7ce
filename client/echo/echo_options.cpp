#include "echo_options.hpp"

#include <charconv>
#include <cstdio>
#include <cstdlib>
#include <string_view>

namespace crous::echo {

const char* const usage_text =
    "usage: crous-echo [--host H] [--port P] [--op OP] [--format crout|json|flux]\n"
    "                  [--timeout MS] [--quiet] [--count N [--pipeline K]] [RECORD ...]\n"
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
    "\n"
    "Exit status: 0 all responses fine, 1 some response was an error record,\n"
    "2 bad command line or input, 3 connection failed (refused, timeout, closed).\n";

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

OutputFormat parse_format(std::string_view text) {
  if (text == "crout") return OutputFormat::crout;
  if (text == "json") return OutputFormat::json;
  if (text == "flux") return OutputFormat::flux;
  throw UsageError("--format: expected crout, json or flux, got '" + std::string(text) + "'");
}

void check(const EchoOptions& options) {
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
  if (const char* port = std::getenv("CROUS_PORT"); port != nullptr && *port != '\0') {
    options.port = parse_number<unsigned short>("CROUS_PORT", port, 1);
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
      options.format = parse_format(value());
    } else if (arg == "--timeout") {
      options.timeout = std::chrono::milliseconds(parse_number<long>(arg, value(), 1));
    } else if (arg == "--quiet" || arg == "-q") {
      options.quiet = true;
    } else if (arg == "--count") {
      options.count = parse_number<std::size_t>(arg, value(), 1);
    } else if (arg == "--pipeline") {
      options.pipeline = parse_number<std::size_t>(arg, value(), 1);
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

}  // namespace crous::echo
