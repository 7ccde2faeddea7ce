#pragma once
// Runs build/bin programs as child processes for the client tests: the real
// crous-server on a free port, and crous-echo with captured output.
#include <sys/types.h>

#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace crous::test {

struct ChildResult {
  int exit_code = -1;  // -1 when killed by a signal
  std::string out;
  std::string err;
};

class ChildProcess {
 public:
  // Starts `program` with `args`; stdin reads `input` (a file written
  // first), stdout/stderr go to files read back by wait().
  ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args, const std::string& input = {});
  ~ChildProcess();  // SIGKILL if still running
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  pid_t pid() const noexcept { return pid_; }
  bool running();
  // Waits at most `limit`; on expiry kills the child and fails the test.
  ChildResult wait(std::chrono::milliseconds limit = std::chrono::seconds(60));
  void signal(int signo);
  std::string stderr_so_far() const;

 private:
  pid_t pid_ = -1;
  int status_ = 0;
  bool reaped_ = false;
  std::filesystem::path dir_;
};

// Runs a program to completion (bounded by `limit`).
ChildResult run_program(const std::filesystem::path& program, const std::vector<std::string>& args,
                        const std::string& input = {}, std::chrono::milliseconds limit = std::chrono::seconds(60));

// crous-echo against 127.0.0.1:`port` with JSON output and a 5 s timeout,
// then `args`.
ChildResult run_echo_json(unsigned short port, std::vector<std::string> args);

// A TCP port on 127.0.0.1 that was free a moment ago.
unsigned short free_port();

// The real crous-server on a free loopback port, stopped with SIGTERM at
// the end. Extra arguments are crous-server flags.
class ServerProcess {
 public:
  explicit ServerProcess(const std::vector<std::string>& extra_args = {});
  // On a given port: a server restarted where clients expect it.
  ServerProcess(const std::vector<std::string>& extra_args, unsigned short port);
  ~ServerProcess();
  unsigned short port() const noexcept { return port_; }
  // SIGTERM and wait; returns the exit code.
  int stop();
  // Sends `signo` and returns at once (SIGTERM: the drain starts).
  void signal(int signo) { process_.signal(signo); }
  // Waits (at most 20 s) for the process to end; returns the exit code.
  int wait();

 private:
  unsigned short port_;
  ChildProcess process_;
};

// Sets environment variables for the child processes of one test, and
// restores what was there before (tests share the process environment).
class ScopedEnvironment {
 public:
  using Variables = std::vector<std::pair<std::string, std::string>>;
  explicit ScopedEnvironment(const Variables& variables) {
    for (const auto& [name, value] : variables) {
      const char* before = std::getenv(name.c_str());
      saved_.push_back({name, before != nullptr ? std::optional<std::string>(before) : std::nullopt});
      ::setenv(name.c_str(), value.c_str(), 1);
    }
  }
  ~ScopedEnvironment() {
    for (const auto& [name, before] : saved_) {
      if (before) ::setenv(name.c_str(), before->c_str(), 1);
      else ::unsetenv(name.c_str());
    }
  }
  ScopedEnvironment(const ScopedEnvironment&) = delete;
  ScopedEnvironment& operator=(const ScopedEnvironment&) = delete;

 private:
  std::vector<std::pair<std::string, std::optional<std::string>>> saved_;
};

}  // namespace crous::test
