#pragma once
// Builds the effective ServerConfig from, lowest to highest precedence:
// built-in defaults < config file < CROUS_* environment variables < flags.
// Every value keeps a note of where it came from for --print-config.
//
//   auto loaded = crous::config::load_config(argv_as_strings, crous::config::process_environment);
//   if (loaded.action == Action::help) { std::cout << help_text("crous-server"); }
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crous/config/server_config.hpp"

namespace crous::config {

// A value that cannot be used. what() names the option and says why, e.g.
// "invalid value for max_record_bytes (flag --max-record-bytes): '12x': ...".
class ConfigError : public std::runtime_error {
 public:
  ConfigError(std::string option, const std::string& message)
      : std::runtime_error(message), option_(std::move(option)) {}
  // File-key spelling of the option ("max_record_bytes"); empty when the
  // problem is not tied to one option (unreadable file, unknown flag).
  const std::string& option() const noexcept { return option_; }

 private:
  std::string option_;
};

enum class Source : std::uint8_t { defaults, file, environment, command_line };
std::string_view to_string(Source source) noexcept;

enum class Action : std::uint8_t { run, help, print_config, check_config };

struct Setting {
  std::string name;    // file key, e.g. "idle_timeout"
  std::string value;   // effective value, canonical spelling ("300s")
  Source source;
  std::string origin;  // "crous-server.conf:12", "CROUS_IDLE_TIMEOUT", "--idle-timeout"
};

struct LoadedConfig {
  ServerConfig config;
  Action action = Action::run;
  std::optional<std::string> config_file;  // the file that was read, if any
  std::vector<Setting> settings;           // every option, in documentation order
};

// Returns the value of an environment variable, or nullopt when unset.
using EnvironmentLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_environment(const std::string& name);

// `args` excludes the program name. Throws ConfigError on unknown flags,
// unreadable files and invalid values.
LoadedConfig load_config(std::span<const std::string> args, const EnvironmentLookup& env = process_environment);

std::string help_text(std::string_view program);
// "key = value  # source" lines; the output is itself a valid config file.
std::string describe(const LoadedConfig& loaded);

}  // namespace crous::config
