// Config precedence (flags > environment > file > defaults), value parsing and
// rejection of bad values, through the public loader.
#include "crous/config/config_loader.hpp"

#include <gtest/gtest.h>

#include <fstream>
#include <map>

#include "test_support.hpp"

namespace {

using crous::config::Action;
using crous::config::ConfigError;
using crous::config::load_config;
using crous::config::LoadedConfig;
using crous::config::Source;
using namespace std::chrono_literals;

struct FakeEnv {
  std::map<std::string, std::string> vars;
  crous::config::EnvironmentLookup lookup() const {
    return [this](const std::string& name) -> std::optional<std::string> {
      auto it = vars.find(name);
      if (it == vars.end()) return std::nullopt;
      return it->second;
    };
  }
};

LoadedConfig load(std::vector<std::string> args, const FakeEnv& env = {}) { return load_config(args, env.lookup()); }

const crous::config::Setting& setting(const LoadedConfig& c, const std::string& name) {
  for (const auto& s : c.settings)
    if (s.name == name) return s;
  throw std::runtime_error("no setting " + name);
}

std::string write_conf(const std::string& text) {
  auto path = crous::test::temp_dir("config") / "test.conf";
  std::ofstream(path) << text;
  return path.string();
}

TEST(ConfigLoader, DefaultsAreTheDocumentedOnes) {
  auto c = load({});
  EXPECT_EQ(c.action, Action::run);
  EXPECT_EQ(c.config.listen_address, "127.0.0.1");
  EXPECT_EQ(c.config.port, 7878);
  EXPECT_EQ(c.config.route_key, "op");
  EXPECT_EQ(c.config.default_route, "echo");
  EXPECT_EQ(c.config.max_connections, 10000u);
  EXPECT_EQ(c.config.max_record_bytes, 16u << 20);
  EXPECT_EQ(c.config.max_depth, 256u);
  EXPECT_EQ(c.config.high_watermark, 1u << 20);
  EXPECT_EQ(c.config.idle_timeout, 300s);
  EXPECT_EQ(c.config.write_timeout, 30s);
  EXPECT_EQ(c.config.drain_timeout, 8s);
  EXPECT_GE(c.config.io_threads(), 1u);
  for (const auto& s : c.settings) EXPECT_EQ(s.source, Source::defaults) << s.name;
}

TEST(ConfigLoader, ShippedConfigFileRepeatsTheDefaults) {
  auto shipped = load({"--config", std::string(CROUS_SOURCE_DIR) + "/config/crous-server.conf"});
  auto defaults = load({});
  ASSERT_EQ(shipped.settings.size(), defaults.settings.size());
  for (std::size_t i = 0; i < shipped.settings.size(); ++i) {
    EXPECT_EQ(shipped.settings[i].value, defaults.settings[i].value) << shipped.settings[i].name;
    EXPECT_EQ(shipped.settings[i].source, Source::file) << shipped.settings[i].name;
  }
}

TEST(ConfigLoader, PrecedenceFlagsOverEnvOverFileOverDefaults) {
  auto path = write_conf(
      "# comment\n"
      "port = 9001\n"
      "idle_timeout = 10s   # trailing comment\n"
      "max_record_bytes = 1MiB\n"
      "log_format = json\n");
  FakeEnv env;
  env.vars["CROUS_CONFIG"] = path;
  env.vars["CROUS_PORT"] = "9002";
  env.vars["CROUS_IDLE_TIMEOUT"] = "20s";
  auto c = load({"--port", "9003"}, env);
  EXPECT_EQ(c.config.port, 9003);                      // flag beats env and file
  EXPECT_EQ(c.config.idle_timeout, 20s);               // env beats file
  EXPECT_EQ(c.config.max_record_bytes, 1u << 20);      // file beats default
  EXPECT_EQ(c.config.log_format, crous::config::LogFormat::json);
  EXPECT_EQ(c.config.max_depth, 256u);                 // default
  EXPECT_EQ(setting(c, "port").source, Source::command_line);
  EXPECT_EQ(setting(c, "port").origin, "--port");
  EXPECT_EQ(setting(c, "idle_timeout").source, Source::environment);
  EXPECT_EQ(setting(c, "idle_timeout").origin, "CROUS_IDLE_TIMEOUT");
  EXPECT_EQ(setting(c, "max_record_bytes").source, Source::file);
  EXPECT_EQ(setting(c, "max_record_bytes").origin, path + ":4");
  EXPECT_EQ(setting(c, "max_depth").source, Source::defaults);
  ASSERT_TRUE(c.config_file);
  EXPECT_EQ(*c.config_file, path);
}

TEST(ConfigLoader, ConfigFlagBeatsConfigVariable) {
  auto a = write_conf("port = 1111\n");
  auto b = crous::test::temp_dir("config2") / "b.conf";
  std::ofstream(b) << "port = 2222\n";
  FakeEnv env;
  env.vars["CROUS_CONFIG"] = a;
  EXPECT_EQ(load({"--config=" + b.string()}, env).config.port, 2222);
  EXPECT_EQ(load({}, env).config.port, 1111);
}

TEST(ConfigLoader, FlagSpellings) {
  auto c = load({"--max-record-bytes=64KiB", "--write-timeout", "250ms", "--threads", "3", "--listen-address", "::1",
                 "--route-key", "cmd", "--default-route=ping"});
  EXPECT_EQ(c.config.max_record_bytes, 64u << 10);
  EXPECT_EQ(c.config.write_timeout, 250ms);
  EXPECT_EQ(c.config.threads, 3u);
  EXPECT_EQ(c.config.io_threads(), 3u);
  EXPECT_EQ(c.config.listen_address, "::1");
  EXPECT_EQ(c.config.route_key, "cmd");
  EXPECT_EQ(c.config.default_route, "ping");
}

TEST(ConfigLoader, UnitsOfSizesAndDurations) {
  EXPECT_EQ(load({"--high-watermark", "4096"}).config.high_watermark, 4096u);
  EXPECT_EQ(load({"--high-watermark", "8K"}).config.high_watermark, 8192u);
  EXPECT_EQ(load({"--high-watermark", "2mb"}).config.high_watermark, 2u << 20);
  EXPECT_EQ(load({"--max-record-bytes", "1GiB"}).config.max_record_bytes, 1u << 30);
  EXPECT_EQ(load({"--idle-timeout", "5"}).config.idle_timeout, 5s);
  EXPECT_EQ(load({"--idle-timeout", "2m"}).config.idle_timeout, 120s);
  EXPECT_EQ(load({"--idle-timeout", "1h"}).config.idle_timeout, 3600s);
}

TEST(ConfigLoader, ActionsAreRecognised) {
  EXPECT_EQ(load({"--help"}).action, Action::help);
  EXPECT_EQ(load({"-h"}).action, Action::help);
  EXPECT_EQ(load({"--print-config"}).action, Action::print_config);
  EXPECT_EQ(load({"--check-config", "--port", "1"}).action, Action::check_config);
}

// Each bad value must be refused with a message naming the option.
struct BadValue {
  std::vector<std::string> args;
  std::string option;
};

TEST(ConfigLoader, BadValuesAreRejectedNamingTheOption) {
  const std::vector<BadValue> cases = {
      {{"--port", "70000"}, "port"},
      {{"--port", "-1"}, "port"},
      {{"--port", "80x"}, "port"},
      {{"--threads", "many"}, "threads"},
      {{"--workers", "0"}, "workers"},
      {{"--max-connections", "0"}, "max_connections"},
      {{"--max-record-bytes", "16 parsecs"}, "max_record_bytes"},
      {{"--max-record-bytes", "8"}, "max_record_bytes"},
      {{"--max-record-bytes", "99999999999999999999"}, "max_record_bytes"},
      {{"--max-depth", "0"}, "max_depth"},
      {{"--high-watermark", "1"}, "high_watermark"},
      {{"--idle-timeout", "0s"}, "idle_timeout"},
      {{"--write-timeout", "soon"}, "write_timeout"},
      {{"--drain-timeout", "3 days"}, "drain_timeout"},
      {{"--listen-address", "localhost:80"}, "listen_address"},
      {{"--route-key", ""}, "route_key"},
      {{"--log-level", "loud"}, "log_level"},
      {{"--log-format", "xml"}, "log_format"},
      {{"--proxy-protocol", "yes"}, "proxy_protocol"},
      {{"--port"}, "port"},
  };
  for (const auto& c : cases) {
    try {
      load(c.args);
      ADD_FAILURE() << "accepted " << c.args[0] << " " << (c.args.size() > 1 ? c.args[1] : "");
    } catch (const ConfigError& e) {
      EXPECT_EQ(e.option(), c.option) << e.what();
      EXPECT_NE(std::string(e.what()).find(c.option), std::string::npos) << e.what();
    }
  }
}

TEST(ConfigLoader, BadEnvironmentValueNamesTheVariable) {
  FakeEnv env;
  env.vars["CROUS_MAX_DEPTH"] = "deep";
  try {
    load({}, env);
    FAIL() << "accepted CROUS_MAX_DEPTH=deep";
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.option(), "max_depth");
    EXPECT_NE(std::string(e.what()).find("CROUS_MAX_DEPTH"), std::string::npos) << e.what();
  }
}

TEST(ConfigLoader, BadFileLinesNameFileAndLine) {
  auto unknown = write_conf("port = 1\nspeed = fast\n");
  try {
    load({"--config", unknown});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(unknown + ":2"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("speed"), std::string::npos) << e.what();
  }
  auto bad = write_conf("idle_timeout = forever\n");
  try {
    load({"--config", bad});
    FAIL();
  } catch (const ConfigError& e) {
    EXPECT_EQ(e.option(), "idle_timeout");
    EXPECT_NE(std::string(e.what()).find(bad + ":1"), std::string::npos) << e.what();
  }
  EXPECT_THROW(load({"--config", write_conf("just words\n")}), ConfigError);
  EXPECT_THROW(load({"--config", "/nonexistent/crous.conf"}), ConfigError);
}

TEST(ConfigLoader, UnknownFlagsAndStrayArgumentsAreRejected) {
  EXPECT_THROW(load({"--colour", "blue"}), ConfigError);
  EXPECT_THROW(load({"serve"}), ConfigError);
}

TEST(ConfigLoader, DescribeIsAConfigFileThatReproducesTheSettings) {
  FakeEnv env;
  env.vars["CROUS_LOG_LEVEL"] = "debug";
  auto c = load({"--idle-timeout", "1500ms", "--max-record-bytes", "1000"}, env);
  std::string text = crous::config::describe(c);
  EXPECT_NE(text.find("idle_timeout = 1500ms"), std::string::npos) << text;
  EXPECT_NE(text.find("# command line (--idle-timeout)"), std::string::npos) << text;
  EXPECT_NE(text.find("# environment (CROUS_LOG_LEVEL)"), std::string::npos) << text;
  EXPECT_NE(text.find("port = 7878"), std::string::npos) << text;
  auto again = load({"--config", write_conf(text)});
  for (std::size_t i = 0; i < c.settings.size(); ++i) EXPECT_EQ(again.settings[i].value, c.settings[i].value);
}

TEST(ConfigLoader, HelpListsEveryOptionWithFlagAndVariable) {
  std::string help = crous::config::help_text("crous-server");
  for (const auto& s : load({}).settings) {
    std::string flag = "--" + s.name;
    for (char& ch : flag) ch = ch == '_' ? '-' : ch;
    EXPECT_NE(help.find(flag), std::string::npos) << flag;
  }
  EXPECT_NE(help.find("CROUS_MAX_RECORD_BYTES"), std::string::npos);
  EXPECT_NE(help.find("--print-config"), std::string::npos);
}

}  // namespace

namespace {

std::string config_error_of(std::vector<std::string> args, const FakeEnv& env = {}) {
  try {
    load(std::move(args), env);
  } catch (const ConfigError& e) {
    return e.option() + " | " + e.what();
  }
  return "no error";
}

TEST(ConfigLoader, TlsOptionsParseFromEveryLayer) {
  FakeEnv env;
  env.vars["CROUS_TLS_ALLOWED_CLIENTS"] = "alice, bob ,svc@example.com";
  env.vars["CROUS_TLS_CA_FILE"] = "/etc/crous/ca.pem";
  auto c = load({"--port", "off", "--tls-port", "7879", "--tls-cert-file", "/c.pem", "--tls-key-file=/k.pem",
                 "--tls-min-version", "1.3", "--handshake-timeout", "2s"},
                env);
  EXPECT_FALSE(c.config.port.has_value());
  EXPECT_EQ(c.config.tls_port, std::optional<std::uint16_t>(7879));
  EXPECT_EQ(c.config.tls_cert_file, "/c.pem");
  EXPECT_EQ(c.config.tls_key_file, "/k.pem");
  EXPECT_EQ(c.config.tls_ca_file, "/etc/crous/ca.pem");
  EXPECT_EQ(c.config.tls_allowed_clients, (std::vector<std::string>{"alice", "bob", "svc@example.com"}));
  EXPECT_EQ(c.config.tls_min_version, crous::config::TlsVersion::v1_3);
  EXPECT_EQ(c.config.handshake_timeout, 2s);
  EXPECT_EQ(setting(c, "port").value, "off");
  EXPECT_EQ(setting(c, "tls_allowed_clients").value, "alice,bob,svc@example.com");
  EXPECT_EQ(setting(c, "tls_min_version").value, "1.3");
  // The default: TLS off, plain on.
  auto d = load({});
  EXPECT_FALSE(d.config.tls_port.has_value());
  EXPECT_EQ(setting(d, "tls_port").value, "off");
}

TEST(ConfigLoader, TlsSettingsThatDoNotFitTogetherNameTheOption) {
  EXPECT_NE(config_error_of({"--tls-port", "7879"}).find("tls_cert_file | "), std::string::npos);
  EXPECT_NE(config_error_of({"--tls-port", "7879", "--tls-cert-file", "/c"}).find("tls_key_file | "),
            std::string::npos);
  EXPECT_NE(config_error_of({"--port", "off"}).find("port | "), std::string::npos);
  EXPECT_NE(config_error_of({"--tls-allowed-clients", "alice"}).find("needs tls_ca_file"), std::string::npos);
  EXPECT_NE(config_error_of({"--tls-min-version", "1.1"}).find("expected 1.2 or 1.3"), std::string::npos);
  EXPECT_NE(config_error_of({"--tls-allowed-clients", "a,,b", "--tls-ca-file", "/ca"}).find("empty entry"),
            std::string::npos);
  EXPECT_NE(config_error_of({"--port", "7000", "--tls-port", "7000", "--tls-cert-file", "/c", "--tls-key-file", "/k"})
                .find("tls_port"),
            std::string::npos);
}

}  // namespace

namespace {

TEST(ConfigLoader, MetricsListenerIsOffByDefaultAndParsesFromEveryLayer) {
  auto d = load({});
  EXPECT_FALSE(d.config.metrics_port.has_value());
  EXPECT_EQ(d.config.metrics_address, "127.0.0.1");
  EXPECT_EQ(setting(d, "metrics_port").value, "off");
  EXPECT_EQ(setting(d, "metrics_address").value, "127.0.0.1");

  FakeEnv env;
  env.vars["CROUS_METRICS_ADDRESS"] = "10.1.2.3";
  auto c = load({"--metrics-port", "9478"}, env);
  EXPECT_EQ(c.config.metrics_port, std::optional<std::uint16_t>(9478));
  EXPECT_EQ(c.config.metrics_address, "10.1.2.3");
  EXPECT_EQ(setting(c, "metrics_port").source, Source::command_line);
  EXPECT_EQ(setting(c, "metrics_address").source, Source::environment);

  auto f = load({"--config", write_conf("metrics_port = 0\nmetrics_address = 0.0.0.0\n")});
  EXPECT_EQ(f.config.metrics_port, std::optional<std::uint16_t>(0));
  EXPECT_EQ(f.config.metrics_address, "0.0.0.0");
  // "off" turns a port from a lower layer off again.
  env.vars["CROUS_METRICS_PORT"] = "9478";
  EXPECT_FALSE(load({"--metrics-port", "off"}, env).config.metrics_port.has_value());
}

TEST(ConfigLoader, ProxyProtocolIsOffByDefaultAndParsesFromEveryLayer) {
  auto d = load({});
  EXPECT_FALSE(d.config.proxy_protocol);
  EXPECT_EQ(setting(d, "proxy_protocol").value, "off");

  auto f = load({"--config", write_conf("proxy_protocol = on\n")});
  EXPECT_TRUE(f.config.proxy_protocol);
  EXPECT_EQ(setting(f, "proxy_protocol").source, Source::file);
  EXPECT_EQ(setting(f, "proxy_protocol").value, "on");

  FakeEnv env;
  env.vars["CROUS_PROXY_PROTOCOL"] = "on";
  auto e = load({}, env);
  EXPECT_TRUE(e.config.proxy_protocol);
  EXPECT_EQ(setting(e, "proxy_protocol").source, Source::environment);
  // A flag turns it off again.
  auto c = load({"--proxy-protocol=off"}, env);
  EXPECT_FALSE(c.config.proxy_protocol);
  EXPECT_EQ(setting(c, "proxy_protocol").source, Source::command_line);
  EXPECT_NE(crous::config::describe(e).find("proxy_protocol = on"), std::string::npos);
}

TEST(ConfigLoader, MetricsSettingsThatCannotWorkNameTheOption) {
  EXPECT_NE(config_error_of({"--metrics-port", "70000"}).find("metrics_port | "), std::string::npos);
  EXPECT_NE(config_error_of({"--metrics-address", "localhost"}).find("metrics_address | "), std::string::npos);
  EXPECT_NE(config_error_of({"--metrics-address", "::1"}).find("IPv4 only"), std::string::npos);
  EXPECT_NE(config_error_of({"--metrics-port", "7878"}).find("metrics_port | metrics_port: the same port as port"),
            std::string::npos);
  EXPECT_NE(config_error_of({"--metrics-port", "7879", "--tls-port", "7879", "--tls-cert-file", "/c",
                             "--tls-key-file", "/k"})
                .find("metrics_port | "),
            std::string::npos);
  // Port 0 (ephemeral) never collides.
  EXPECT_EQ(config_error_of({"--port", "0", "--metrics-port", "0"}), "no error");
}

}  // namespace
