#include "cli_runner.hpp"

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <fstream>
#include <stdexcept>
#include <thread>

#include "test_support.hpp"

namespace crous::test {

std::string quoted(const std::string& text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  out += '\'';
  return out;
}

RunResult run_shell(const std::string& command, const std::filesystem::path& dir) {
  const auto out_path = dir / ".stdout";
  const auto err_path = dir / ".stderr";
  const std::string line = "cd " + quoted(dir.string()) + " && CROUS=" + quoted((bin_dir() / "crous").string()) + " && (" + command +
                           ") > " + quoted(out_path.string()) + " 2> " + quoted(err_path.string());
  const int status = std::system(line.c_str());
  if (status == -1 || !WIFEXITED(status)) throw std::runtime_error("could not run: " + line);
  RunResult result{WEXITSTATUS(status), read_text(out_path), read_text(err_path)};
  std::filesystem::remove(out_path);
  std::filesystem::remove(err_path);
  return result;
}

RunResult run_crous(const std::vector<std::string>& args, const std::filesystem::path& dir, const std::filesystem::path& stdin_path) {
  std::string command = "\"$CROUS\"";
  for (const auto& arg : args) {
    command += ' ';
    command += quoted(arg);
  }
  command += " < ";
  command += quoted(stdin_path.string());
  return run_shell(command, dir);
}

namespace {

// VmHWM of a running process, 0 once it is gone.
std::size_t peak_rss_of(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("VmHWM:", 0) == 0) return std::stoull(line.substr(6)) * 1024;
  }
  return 0;
}

}  // namespace

MeasuredRun run_crous_measured(const std::vector<std::string>& args, const std::filesystem::path& dir) {
  const std::string binary = (bin_dir() / "crous").string();
  std::vector<std::string> argv_strings{binary};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_strings) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const pid_t pid = fork();
  if (pid < 0) throw std::runtime_error("fork failed");
  if (pid == 0) {
    const int null_fd = open("/dev/null", O_RDWR);
    dup2(null_fd, 0);
    dup2(null_fd, 1);
    if (chdir(dir.c_str()) != 0) _exit(127);
    execv(binary.c_str(), argv.data());
    _exit(127);
  }
  // The measure is taken before exec too, while the child is still a copy
  // of this process; only samples after the exec count.
  std::size_t peak = 0;
  int status = 0;
  while (waitpid(pid, &status, WNOHANG) == 0) {
    std::error_code ec;
    if (std::filesystem::read_symlink("/proc/" + std::to_string(pid) + "/exe", ec).string() == binary) peak = std::max(peak, peak_rss_of(pid));
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, peak};
}

}  // namespace crous::test
