// crous-server: the stock record server (echo, ping, stats, info).
#include <spdlog/spdlog.h>

#include <iostream>
#include <string>
#include <vector>

#include "crous/config/config_loader.hpp"
#include "crous/server/logging.hpp"
#include "crous/server/server.hpp"

int main(int argc, char** argv) {
  using crous::config::Action;
  std::vector<std::string> args(argv + 1, argv + argc);
  crous::config::LoadedConfig loaded;
  try {
    loaded = crous::config::load_config(args);
  } catch (const crous::config::ConfigError& e) {
    std::cerr << "crous-server: " << e.what() << "\n";
    return 2;
  }
  if (loaded.action == Action::help) {
    std::cout << crous::config::help_text("crous-server");
    return 0;
  }
  if (loaded.action == Action::print_config) {
    std::cout << crous::config::describe(loaded);
    return 0;
  }
  try {
    crous::server::configure_logging(loaded.config.log_level, loaded.config.log_format);
    crous::server::Server server(loaded.config);
    if (!server.router().find(loaded.config.default_route))
      throw crous::config::ConfigError("default_route", "invalid value for default_route: '" +
                                                           loaded.config.default_route +
                                                           "' is not a handler of this server");
    if (loaded.action == Action::check_config) {
      std::cout << "configuration OK\n";
      return 0;
    }
    spdlog::info("configuration: log_level {}, log_format {}{}", loaded.config.log_level,
                 crous::config::to_string(loaded.config.log_format),
                 loaded.config_file ? ", file " + *loaded.config_file : std::string());
    server.run();
  } catch (const crous::config::ConfigError& e) {
    std::cerr << "crous-server: " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("crous-server: cannot start: {}", e.what());
    return 1;
  }
  return 0;
}
