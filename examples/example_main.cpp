#include "example_main.hpp"

#include <exception>
#include <iostream>

#include "crous/config/config_loader.hpp"
#include "crous/server/logging.hpp"

namespace crous::examples {

int example_main(std::string_view name, const std::vector<std::string>& args,
                 const std::function<void(server::Server&)>& serve, std::string_view extra_help) {
  try {
    auto loaded = config::load_config(args);
    if (loaded.action == config::Action::help) {
      std::cout << config::help_text(std::string(name)) << extra_help;
      return 0;
    }
    server::configure_logging(loaded.config.log_level, loaded.config.log_format);
    server::Server server(loaded.config);
    serve(server);
  } catch (const std::exception& e) {
    std::cerr << name << ": " << e.what() << "\n";
    return 1;
  }
  return 0;
}

}  // namespace crous::examples
