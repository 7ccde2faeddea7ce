#pragma once
// Installs the process-wide spdlog logger the server writes to: stderr,
// text or JSON lines, at the configured level.
#include <string_view>

#include "crous/config/server_config.hpp"

namespace crous::server {

// Throws std::invalid_argument for an unknown level name.
void configure_logging(std::string_view level, config::LogFormat format);

}  // namespace crous::server
