#include "crous/config/config_loader.hpp"

#include <arpa/inet.h>

#include <array>
#include <cstdlib>
#include <fstream>
#include <sstream>

#include "value_parsers.hpp"

namespace crous::config {
namespace {

using detail::format_duration;
using detail::format_size;
using detail::parse_duration;
using detail::parse_size;
using detail::parse_unsigned;

constexpr std::uint64_t kGiB = std::uint64_t{1} << 30;

// One row per option: the single source of names, help, parsing and display,
// so file keys, CROUS_* variables, flags and --print-config cannot drift apart.
struct Option {
  std::string_view name;
  std::string_view help;
  void (*parse)(ServerConfig&, std::string_view);
  std::string (*show)(const ServerConfig&);
};

std::string parse_address(std::string_view v) {
  std::string text(v);
  unsigned char buf[16];
  if (inet_pton(AF_INET, text.c_str(), buf) != 1 && inet_pton(AF_INET6, text.c_str(), buf) != 1)
    throw std::invalid_argument("not an IPv4 or IPv6 address");
  return text;
}

void parse_nonempty(std::string& out, std::string_view v) {
  if (v.empty()) throw std::invalid_argument("must not be empty");
  out = std::string(v);
}

std::chrono::milliseconds positive_duration(std::string_view v) {
  auto d = parse_duration(v);
  if (d.count() <= 0) throw std::invalid_argument("must be longer than 0");
  return d;
}

std::size_t size_in(std::string_view v, std::uint64_t min, std::uint64_t max) {
  auto n = parse_size(v);
  if (n < min || n > max)
    throw std::invalid_argument("must be between " + format_size(min) + " and " + format_size(max));
  return static_cast<std::size_t>(n);
}

constexpr std::array<std::string_view, 7> kLogLevels{"trace", "debug", "info", "warn", "error", "critical", "off"};

bool parse_switch(std::string_view v) {
  if (v == "on") return true;
  if (v == "off") return false;
  throw std::invalid_argument("expected on or off");
}

std::optional<std::uint16_t> parse_port(std::string_view v) {
  if (v == "off") return std::nullopt;
  return static_cast<std::uint16_t>(parse_unsigned(v, 0, 65535));
}

std::string show_port(const std::optional<std::uint16_t>& port) { return port ? std::to_string(*port) : "off"; }

// "a, b,c" -> {"a", "b", "c"}; empty entries are an error.
std::vector<std::string> parse_list(std::string_view v) {
  std::vector<std::string> out;
  if (detail::trim(v).empty()) return out;
  while (true) {
    const auto comma = v.find(',');
    const std::string_view item = detail::trim(v.substr(0, comma));
    if (item.empty()) throw std::invalid_argument("empty entry in a comma-separated list");
    out.emplace_back(item);
    if (comma == std::string_view::npos) return out;
    v.remove_prefix(comma + 1);
  }
}

std::string show_list(const std::vector<std::string>& items) {
  std::string out;
  for (const auto& item : items) out += (out.empty() ? "" : ",") + item;
  return out;
}

const std::array<Option, 30> kOptions{{
    {"listen_address", "IP address to listen on (IPv4 or IPv6 literal)",
     [](ServerConfig& c, std::string_view v) { c.listen_address = parse_address(v); },
     [](const ServerConfig& c) { return c.listen_address; }},
    {"port", "plain TCP port; 0 picks a free one; off = no plain listener",
     [](ServerConfig& c, std::string_view v) { c.port = parse_port(v); },
     [](const ServerConfig& c) { return show_port(c.port); }},
    {"tls_port", "TLS port (next to or instead of port); off = no TLS listener",
     [](ServerConfig& c, std::string_view v) { c.tls_port = parse_port(v); },
     [](const ServerConfig& c) { return show_port(c.tls_port); }},
    {"tls_cert_file", "PEM certificate chain of the server (leaf first); reloaded on SIGHUP",
     [](ServerConfig& c, std::string_view v) { c.tls_cert_file = std::string(v); },
     [](const ServerConfig& c) { return c.tls_cert_file; }},
    {"tls_key_file", "PEM private key of tls_cert_file; reloaded on SIGHUP",
     [](ServerConfig& c, std::string_view v) { c.tls_key_file = std::string(v); },
     [](const ServerConfig& c) { return c.tls_key_file; }},
    {"tls_ca_file", "PEM CA bundle; when set, clients must present a certificate it signed (mutual TLS)",
     [](ServerConfig& c, std::string_view v) { c.tls_ca_file = std::string(v); },
     [](const ServerConfig& c) { return c.tls_ca_file; }},
    {"tls_allowed_clients", "comma-separated subject CNs or SAN entries allowed in; empty = any the CA signed",
     [](ServerConfig& c, std::string_view v) { c.tls_allowed_clients = parse_list(v); },
     [](const ServerConfig& c) { return show_list(c.tls_allowed_clients); }},
    {"tls_min_version", "oldest TLS version accepted: 1.2 or 1.3",
     [](ServerConfig& c, std::string_view v) {
       if (v == "1.2")
         c.tls_min_version = TlsVersion::v1_2;
       else if (v == "1.3")
         c.tls_min_version = TlsVersion::v1_3;
       else
         throw std::invalid_argument("expected 1.2 or 1.3");
     },
     [](const ServerConfig& c) { return std::string(to_string(c.tls_min_version)); }},
    {"handshake_timeout", "a TLS handshake (and a PROXY header) must complete within this, from accept",
     [](ServerConfig& c, std::string_view v) { c.handshake_timeout = positive_duration(v); },
     [](const ServerConfig& c) { return format_duration(c.handshake_timeout); }},
    {"proxy_protocol",
     "on: every connection must start with a PROXY protocol v2 header (behind HAProxy's "
     "send-proxy-v2); off: never trusted",
     [](ServerConfig& c, std::string_view v) { c.proxy_protocol = parse_switch(v); },
     [](const ServerConfig& c) { return std::string(c.proxy_protocol ? "on" : "off"); }},
    {"compression", "lz4: clients may switch their connection to LZ4 with a hello; off: never",
     [](ServerConfig& c, std::string_view v) {
       if (v == "lz4")
         c.compression = Compression::lz4;
       else if (v == "off")
         c.compression = Compression::off;
       else
         throw std::invalid_argument("expected lz4 or off");
     },
     [](const ServerConfig& c) { return std::string(to_string(c.compression)); }},
    {"metrics_port", "HTTP port for /metrics (Prometheus), /healthz and /readyz; off = none",
     [](ServerConfig& c, std::string_view v) { c.metrics_port = parse_port(v); },
     [](const ServerConfig& c) { return show_port(c.metrics_port); }},
    {"metrics_address", "IPv4 address of the metrics listener",
     [](ServerConfig& c, std::string_view v) {
       std::string text(v);
       unsigned char buf[4];
       // Debian's civetweb, the metrics listener's HTTP server, is built without IPv6.
       if (inet_pton(AF_INET, text.c_str(), buf) != 1)
         throw std::invalid_argument("not an IPv4 address (the metrics listener speaks IPv4 only)");
       c.metrics_address = text;
     },
     [](const ServerConfig& c) { return c.metrics_address; }},
    {"threads", "I/O threads; 0 = one per hardware thread",
     [](ServerConfig& c, std::string_view v) { c.threads = static_cast<unsigned>(parse_unsigned(v, 0, 1024)); },
     [](const ServerConfig& c) { return std::to_string(c.threads); }},
    {"workers", "threads running offloaded (slow) handlers",
     [](ServerConfig& c, std::string_view v) { c.workers = static_cast<unsigned>(parse_unsigned(v, 1, 1024)); },
     [](const ServerConfig& c) { return std::to_string(c.workers); }},
    {"route_key", "dict field whose string value names the handler",
     [](ServerConfig& c, std::string_view v) { parse_nonempty(c.route_key, v); },
     [](const ServerConfig& c) { return c.route_key; }},
    {"default_route", "handler for records without a route key",
     [](ServerConfig& c, std::string_view v) { parse_nonempty(c.default_route, v); },
     [](const ServerConfig& c) { return c.default_route; }},
    {"max_connections", "open connections beyond this get server_busy and are closed",
     [](ServerConfig& c, std::string_view v) { c.max_connections = parse_unsigned(v, 1, 1'000'000); },
     [](const ServerConfig& c) { return std::to_string(c.max_connections); }},
    {"max_connections_per_ip", "open connections per client address beyond this get server_busy; 0 = no limit",
     [](ServerConfig& c, std::string_view v) { c.max_connections_per_ip = parse_unsigned(v, 0, 1'000'000); },
     [](const ServerConfig& c) { return std::to_string(c.max_connections_per_ip); }},
    {"max_record_bytes", "largest request record accepted (B, KiB, MiB, GiB)",
     [](ServerConfig& c, std::string_view v) { c.max_record_bytes = size_in(v, 64, kGiB); },
     [](const ServerConfig& c) { return format_size(c.max_record_bytes); }},
    {"max_depth", "deepest container nesting accepted",
     [](ServerConfig& c, std::string_view v) { c.max_depth = static_cast<unsigned>(parse_unsigned(v, 1, 100'000)); },
     [](const ServerConfig& c) { return std::to_string(c.max_depth); }},
    {"high_watermark", "pending output per connection that pauses reading from it",
     [](ServerConfig& c, std::string_view v) { c.high_watermark = size_in(v, 4096, kGiB); },
     [](const ServerConfig& c) { return format_size(c.high_watermark); }},
    {"max_buffered_bytes", "server-wide bound on bytes held for unfinished records; 0 = 25% of RAM, at most 1GiB",
     [](ServerConfig& c, std::string_view v) {
       auto n = parse_size(v);
       if (n != 0 && (n < 65536 || n > 1024 * kGiB))
         throw std::invalid_argument("must be 0 (automatic) or between 64KiB and 1024GiB");
       c.max_buffered_bytes = static_cast<std::size_t>(n);
     },
     // 0 stays 0 so the printed settings reproduce themselves; the start-up
     // log line and `info` show the resolved budget.
     [](const ServerConfig& c) { return format_size(c.max_buffered_bytes); }},
    {"max_offloads_per_connection", "offloaded and async requests in flight per connection before reading pauses",
     [](ServerConfig& c, std::string_view v) { c.max_offloads_per_connection = parse_unsigned(v, 1, 1'000'000); },
     [](const ServerConfig& c) { return std::to_string(c.max_offloads_per_connection); }},
    {"idle_timeout", "close connections silent this long (ms, s, m, h)",
     [](ServerConfig& c, std::string_view v) { c.idle_timeout = positive_duration(v); },
     [](const ServerConfig& c) { return format_duration(c.idle_timeout); }},
    {"write_timeout", "close clients that read nothing for this long (slow consumers)",
     [](ServerConfig& c, std::string_view v) { c.write_timeout = positive_duration(v); },
     [](const ServerConfig& c) { return format_duration(c.write_timeout); }},
    {"record_timeout", "a record that has started arriving must be complete within this",
     [](ServerConfig& c, std::string_view v) { c.record_timeout = positive_duration(v); },
     [](const ServerConfig& c) { return format_duration(c.record_timeout); }},
    {"drain_timeout", "upper bound on graceful shutdown",
     [](ServerConfig& c, std::string_view v) { c.drain_timeout = positive_duration(v); },
     [](const ServerConfig& c) { return format_duration(c.drain_timeout); }},
    {"log_level", "trace, debug, info, warn, error, critical or off",
     [](ServerConfig& c, std::string_view v) {
       for (auto level : kLogLevels)
         if (v == level) {
           c.log_level = std::string(v);
           return;
         }
       throw std::invalid_argument("expected one of trace, debug, info, warn, error, critical, off");
     },
     [](const ServerConfig& c) { return c.log_level; }},
    {"log_format", "text or json (one JSON object per line)",
     [](ServerConfig& c, std::string_view v) {
       if (v == "text")
         c.log_format = LogFormat::text;
       else if (v == "json")
         c.log_format = LogFormat::json;
       else
         throw std::invalid_argument("expected text or json");
     },
     [](const ServerConfig& c) { return std::string(to_string(c.log_format)); }},
}};

std::string flag_of(std::string_view name) {
  std::string flag = "--";
  for (char ch : name) flag += ch == '_' ? '-' : ch;
  return flag;
}

std::string env_of(std::string_view name) {
  std::string env = "CROUS_";
  for (char ch : name) env += static_cast<char>(ch >= 'a' && ch <= 'z' ? ch - 'a' + 'A' : ch);
  return env;
}

const Option* find_option(std::string_view name) {
  for (const Option& o : kOptions)
    if (o.name == name) return &o;
  return nullptr;
}

struct Assignment {
  const Option* option;
  std::string value;
  Source source;
  std::string origin;
};

void apply(LoadedConfig& out, const Assignment& a) {
  try {
    a.option->parse(out.config, detail::trim(a.value));
  } catch (const std::invalid_argument& e) {
    throw ConfigError(std::string(a.option->name), "invalid value for " + std::string(a.option->name) + " (" +
                                                       a.origin + "): '" + a.value + "': " + e.what());
  }
  for (Setting& s : out.settings)
    if (s.name == a.option->name) {
      s.source = a.source;
      s.origin = a.origin;
    }
}

std::vector<Assignment> read_file(const std::string& path) {
  std::ifstream in(path);
  if (!in) throw ConfigError("", "cannot read config file '" + path + "'");
  std::vector<Assignment> out;
  std::string line;
  for (unsigned number = 1; std::getline(in, line); ++number) {
    std::string_view text = detail::trim(line);
    if (text.empty() || text.front() == '#') continue;
    std::string where = path + ":" + std::to_string(number);
    auto eq = text.find('=');
    if (eq == std::string_view::npos) throw ConfigError("", where + ": expected 'key = value'");
    std::string_view key = detail::trim(text.substr(0, eq));
    std::string_view value = detail::trim(text.substr(eq + 1));
    // A comment may follow the value after whitespace: "port = 7878  # why",
    // also an empty one: "tls_ca_file =   # none".
    if (!value.empty() && value.front() == '#') value = {};
    for (std::size_t i = 1; i < value.size(); ++i)
      if (value[i] == '#' && (value[i - 1] == ' ' || value[i - 1] == '\t')) {
        value = detail::trim(value.substr(0, i));
        break;
      }
    const Option* option = find_option(key);
    if (!option) throw ConfigError(std::string(key), where + ": unknown option '" + std::string(key) + "'");
    out.push_back({option, std::string(value), Source::file, where});
  }
  return out;
}

}  // namespace

std::string_view to_string(Source source) noexcept {
  switch (source) {
    case Source::defaults: return "default";
    case Source::file: return "file";
    case Source::environment: return "environment";
    case Source::command_line: return "command line";
  }
  return "?";
}

std::optional<std::string> process_environment(const std::string& name) {
  if (const char* v = std::getenv(name.c_str())) return std::string(v);
  return std::nullopt;
}

LoadedConfig load_config(std::span<const std::string> args, const EnvironmentLookup& env) {
  LoadedConfig out;
  for (const Option& o : kOptions) out.settings.push_back({std::string(o.name), "", Source::defaults, "default"});

  // Flags are parsed first (they may name the file) but applied last.
  std::vector<Assignment> flags;
  std::optional<std::string> file_flag;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view arg = args[i];
    if (arg == "--help" || arg == "-h") {
      out.action = Action::help;
      continue;
    }
    if (arg == "--print-config") {
      out.action = Action::print_config;
      continue;
    }
    if (arg == "--check-config") {
      out.action = Action::check_config;
      continue;
    }
    if (arg.substr(0, 2) != "--") throw ConfigError("", "unexpected argument '" + std::string(arg) + "' (see --help)");
    std::string_view name = arg.substr(2);
    std::optional<std::string> value;
    if (auto eq = name.find('='); eq != std::string_view::npos) {
      value = std::string(name.substr(eq + 1));
      name = name.substr(0, eq);
    }
    std::string key(name);
    for (char& ch : key) ch = ch == '-' ? '_' : ch;
    const Option* option = find_option(key);
    if (!option && key != "config") throw ConfigError("", "unknown option '" + std::string(arg) + "' (see --help)");
    if (!value) {
      if (i + 1 >= args.size()) throw ConfigError(key, "option --" + std::string(name) + " needs a value");
      value = args[++i];
    }
    if (!option)
      file_flag = *value;
    else
      flags.push_back({option, *value, Source::command_line, "--" + std::string(name)});
  }

  out.config_file = file_flag ? file_flag : env("CROUS_CONFIG");
  if (out.config_file && out.config_file->empty()) out.config_file.reset();
  if (out.config_file)
    for (const Assignment& a : read_file(*out.config_file)) apply(out, a);
  for (const Option& o : kOptions) {
    std::string var = env_of(o.name);
    if (auto v = env(var)) apply(out, {&o, *v, Source::environment, var});
  }
  for (const Assignment& a : flags) apply(out, a);

  try {
    out.config.validate();
  } catch (const std::invalid_argument& e) {
    const std::string text = e.what();
    const auto colon = text.find(':');
    throw ConfigError(colon == std::string::npos ? "" : text.substr(0, colon), text);
  }
  for (std::size_t i = 0; i < kOptions.size(); ++i) out.settings[i].value = kOptions[i].show(out.config);
  return out;
}

std::string help_text(std::string_view program) {
  std::ostringstream os;
  os << "Usage: " << program << " [options]\n\n"
     << "Serves FLUX records over TCP. Settings come from, highest precedence first:\n"
     << "flags, CROUS_* environment variables, the config file, built-in defaults.\n\n"
     << "  --config PATH          read settings from PATH (also CROUS_CONFIG)\n"
     << "  --print-config         print the effective settings and where each came from\n"
     << "  --check-config         validate the settings and exit (status 0 when valid)\n"
     << "  -h, --help             show this text\n\n";
  ServerConfig defaults;
  for (const Option& o : kOptions) {
    std::string flag = flag_of(o.name) + " VALUE";
    os << "  " << flag;
    for (std::size_t pad = flag.size(); pad < 24; ++pad) os << ' ';
    os << ' ' << o.help << "\n"
       << std::string(27, ' ') << "[default " << o.show(defaults) << ", env " << env_of(o.name) << "]\n";
  }
  return os.str();
}

std::string describe(const LoadedConfig& loaded) {
  std::ostringstream os;
  os << "# effective crous-server configuration";
  if (loaded.config_file) os << " (file: " << *loaded.config_file << ")";
  os << "\n";
  for (const Setting& s : loaded.settings) {
    std::string line = s.name + " = " + s.value;
    os << line;
    for (std::size_t pad = line.size(); pad < 34; ++pad) os << ' ';
    os << "  # " << to_string(s.source);
    if (s.source != Source::defaults) os << " (" << s.origin << ")";
    os << "\n";
  }
  return os.str();
}

}  // namespace crous::config
