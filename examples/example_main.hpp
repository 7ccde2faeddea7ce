#pragma once
// The main() the example services share: crous-server's flags, CROUS_*
// variables and config file, then logging, then the Server, which `serve`
// fills with the service's ops and runs.
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "crous/server/server.hpp"

namespace crous::examples {

// `args` without the program name; `extra_help` follows --help's option
// list (the service's own flags). Returns the exit status: 0, or 1 after
// printing what went wrong to stderr.
int example_main(std::string_view name, const std::vector<std::string>& args,
                 const std::function<void(server::Server&)>& serve, std::string_view extra_help = {});

}  // namespace crous::examples
