#pragma once
// Runs the real `crous` binary (or a shell pipeline using it) as a child
// process, with stdin from a file and stdout/stderr captured.
#include <filesystem>
#include <string>
#include <vector>

namespace crous::test {

struct RunResult {
  int exit_code;
  std::string out;
  std::string err;
};

// `crous ARGS...` in `dir`, stdin from `stdin_path` (or /dev/null).
RunResult run_crous(const std::vector<std::string>& args, const std::filesystem::path& dir,
                    const std::filesystem::path& stdin_path = "/dev/null");
// A /bin/sh command line in `dir`; `$CROUS` names the binary.
RunResult run_shell(const std::string& command, const std::filesystem::path& dir);
// Runs `crous ARGS...` in `dir` (stdin /dev/null, output discarded) and
// returns its exit code and its peak resident memory in bytes, sampled from
// /proc while it runs.
struct MeasuredRun {
  int exit_code;
  std::size_t peak_rss_bytes;
};
MeasuredRun run_crous_measured(const std::vector<std::string>& args, const std::filesystem::path& dir);

std::string quoted(const std::string& text);

}  // namespace crous::test
