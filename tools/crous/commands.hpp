#pragma once
// The subcommands. Each takes the arguments after its name, prints its own
// --help, and returns an exit code (cli_error.hpp) or throws.
namespace crous::cli {

int run_convert(int argc, char** argv);
int run_inspect(int argc, char** argv);
int run_validate(int argc, char** argv);

}  // namespace crous::cli
