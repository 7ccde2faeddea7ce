#pragma once
// A small command-line parser: long options with or without a value
// (`--to crout`, `--to=crout`, `-o file`), flags, and positional arguments.
// `-` alone is positional (stdin/stdout); `--` ends the options.
#include <initializer_list>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace crous::cli {

struct OptionSpec {
  std::string_view name;   // "--to", "-o"
  bool takes_value;
};

class Args {
 public:
  // Throws CliError(exit_usage) for unknown options or a missing value.
  // `shared`: option sets several commands accept (compression_options.hpp).
  Args(int argc, char** argv, std::initializer_list<OptionSpec> specs,
       std::initializer_list<std::span<const OptionSpec>> shared = {});

  bool flag(std::string_view name) const;
  // Prints `help` on stdout if --help or -h was given (every command
  // accepts both); the command then has nothing else to do.
  bool printed_help(const char* help) const;
  std::optional<std::string> value(std::string_view name) const;
  const std::vector<std::string>& positional() const noexcept { return positional_; }
  // The single optional INPUT argument ("-" or absent means stdin).
  std::string input() const;

 private:
  const OptionSpec* find_spec(std::string_view name) const;

  std::vector<OptionSpec> specs_;
  std::vector<std::pair<std::string, std::string>> options_;
  std::vector<std::string> positional_;
};

}  // namespace crous::cli
