#pragma once
// The main() of a crous service, shared by crous-server and every service
// embedding crous::server, so they all take the same flags, CROUS_*
// variables and config file, and answer --help, --print-config and
// --check-config the same way:
//
//   int main(int argc, char** argv) {
//     return crous::server::run_service(argc, argv, "my-service", [](crous::server::Server& server) {
//       server.router().add("greet", greet);
//     });
//   }
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace crous::server {

class Server;

// Loads the configuration (file, CROUS_* variables, flags; docs/server.md),
// answers --help and --print-config, configures logging, builds the Server
// and lets `setup` register its routes and metrics (what they use beyond
// the call goes to Server::keep); then --check-config
// reports, or the server runs until SIGINT/SIGTERM and drains. Returns the
// process's exit code: 0, 1 (cannot start: a port in use, a TLS file, an
// exception from setup) or 2 (the configuration is wrong). `program` names
// the service in --help, log lines and errors.
int run_service(int argc, char** argv, std::string_view program, const std::function<void(Server&)>& setup = {});

// The same with the arguments (without the program name) already taken
// from argv, for a service that reads flags of its own first; `extra_help`
// (its own options, one per line) follows --help's list.
int run_service(const std::vector<std::string>& args, std::string_view program,
                const std::function<void(Server&)>& setup, std::string_view extra_help = {});

}  // namespace crous::server
