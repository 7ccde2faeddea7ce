// crous: convert, inspect and validate Crous records (docs/cli.md).
#include <cstdio>
#include <cstring>
#include <exception>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <system_error>

#include "cli_error.hpp"
#include "commands.hpp"
#include "crous/cli/args.hpp"
#include "crous/error.hpp"

namespace {

constexpr const char* usage = R"(usage: crous COMMAND [OPTIONS] [INPUT]

Commands:
  convert   convert records between FLUX, CROUT and JSON
  inspect   list the records of a stream, or hex-dump one (--hex)
  validate  check every record; exit status 0 if all are valid

Run `crous COMMAND --help` for the options of a command.
Exit status: 0 ok, 1 invalid input, 2 usage error, 3 I/O error.
)";

int dispatch(std::string_view command, int argc, char** argv) {
  using namespace crous::cli;
  if (command == "convert") return run_convert(argc, argv);
  if (command == "inspect") return run_inspect(argc, argv);
  if (command == "validate") return run_validate(argc, argv);
  usage_error("unknown command '" + std::string(command) + "'");
}

int report(std::string_view command, const char* message, int code) {
  std::fprintf(stderr, "crous %.*s: %s\n", static_cast<int>(command.size()), command.data(), message);
  if (code == crous::cli::exit_usage) std::fprintf(stderr, "run `crous --help` or `crous COMMAND --help` for usage\n");
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    std::fputs(usage, stderr);
    return crous::cli::exit_usage;
  }
  const std::string_view command = argv[1];
  if (command == "--help" || command == "-h" || command == "help") {
    std::fputs(usage, stdout);
    return crous::cli::exit_ok;
  }
  try {
    return dispatch(command, argc - 2, argv + 2);
  } catch (const crous::cli::CliError& e) {
    return report(command, e.what(), e.code());
  } catch (const crous::cli::UsageError& e) {
    return report(command, e.what(), crous::cli::exit_usage);
  } catch (const crous::DecodeError& e) {
    return report(command, e.what(), crous::cli::exit_invalid_data);
  } catch (const nlohmann::json::exception& e) {
    return report(command, e.what(), crous::cli::exit_invalid_data);
  } catch (const std::system_error& e) {
    return report(command, e.what(), crous::cli::exit_io);
  } catch (const std::exception& e) {
    return report(command, e.what(), crous::cli::exit_invalid_data);
  }
}
