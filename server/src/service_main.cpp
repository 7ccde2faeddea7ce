#include "crous/server/service_main.hpp"

#include <spdlog/spdlog.h>

#include <iostream>
#include <string>
#include <vector>

#include "crous/config/config_loader.hpp"
#include "crous/server/logging.hpp"
#include "crous/server/server.hpp"

namespace crous::server {

int run_service(int argc, char** argv, std::string_view program, const std::function<void(Server&)>& setup) {
  return run_service(std::vector<std::string>(argv + 1, argv + argc), program, setup);
}

int run_service(const std::vector<std::string>& args, std::string_view program,
                const std::function<void(Server&)>& setup, std::string_view extra_help) {
  using config::Action;
  config::LoadedConfig loaded;
  try {
    loaded = config::load_config(args);
  } catch (const config::ConfigError& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 2;
  }
  if (loaded.action == Action::help) {
    std::cout << config::help_text(program) << extra_help;
    return 0;
  }
  if (loaded.action == Action::print_config) {
    std::cout << config::describe(loaded);
    return 0;
  }
  try {
    configure_logging(loaded.config.log_level, loaded.config.log_format);
    Server server(loaded.config, std::string(program));
    if (setup) setup(server);
    // After setup: a service's default_route may name one of its own handlers.
    if (!server.router().find(loaded.config.default_route))
      throw config::ConfigError("default_route", "invalid value for default_route: '" + loaded.config.default_route +
                                                     "' is not a handler of this server");
    if (loaded.action == Action::check_config) {
      std::cout << "configuration OK\n";
      return 0;
    }
    spdlog::info("configuration: log_level {}, log_format {}{}", loaded.config.log_level,
                 config::to_string(loaded.config.log_format),
                 loaded.config_file ? ", file " + *loaded.config_file : std::string());
    server.run();
  } catch (const config::ConfigError& e) {
    std::cerr << program << ": " << e.what() << "\n";
    return 2;
  } catch (const std::exception& e) {
    spdlog::critical("{}: cannot start: {}", program, e.what());
    return 1;
  }
  return 0;
}

}  // namespace crous::server
