#pragma once
// Exit codes of the crous tool (documented in docs/cli.md) and the error
// that carries one up to main().
#include <stdexcept>
#include <string>

#include "crous/cli/args.hpp"

namespace crous::cli {

enum ExitCode : int {
  exit_ok = 0,
  exit_invalid_data = 1,  // a record failed to decode, parse or convert
  exit_usage = 2,         // bad command line
  exit_io = 3,            // a file could not be opened, read or written
};

class CliError : public std::runtime_error {
 public:
  CliError(ExitCode code, const std::string& message) : std::runtime_error(message), code_(code) {}
  ExitCode code() const noexcept { return code_; }

 private:
  ExitCode code_;
};

// Bad command lines are the argument parser's UsageError, wherever found.
[[noreturn]] inline void usage_error(const std::string& message) { throw UsageError(message); }

}  // namespace crous::cli
