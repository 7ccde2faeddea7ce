#include "child_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cstring>
#include <fstream>
#include <stdexcept>
#include <thread>

#include <gtest/gtest.h>

#include "test_support.hpp"

extern char** environ;

namespace crous::test {

namespace {

using Clock = std::chrono::steady_clock;

std::filesystem::path fresh_dir() {
  static std::atomic<int> counter{0};
  return temp_dir("client-child-" + std::to_string(::getpid()) + "-" + std::to_string(counter++));
}

void write_text(const std::filesystem::path& path, const std::string& text) {
  std::ofstream(path, std::ios::binary) << text;
}

std::string slurp(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// Polls until `ready` holds; there is no event to wait on for another
// process' state, so bounded polling is the only option.
template <class Ready>
bool poll_until(Ready ready, std::chrono::milliseconds limit) {
  const auto deadline = Clock::now() + limit;
  while (!ready()) {
    if (Clock::now() >= deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

bool can_connect(unsigned short port) {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  const bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

}  // namespace

ChildProcess::ChildProcess(const std::filesystem::path& program, const std::vector<std::string>& args, const std::string& input)
    : dir_(fresh_dir()) {
  write_text(dir_ / "stdin", input);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, (dir_ / "stdin").c_str(), O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, (dir_ / "stdout").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  posix_spawn_file_actions_addopen(&actions, 2, (dir_ / "stderr").c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
  std::vector<std::string> argv_text{program.string()};
  argv_text.insert(argv_text.end(), args.begin(), args.end());
  std::vector<char*> argv;
  for (auto& arg : argv_text) argv.push_back(arg.data());
  argv.push_back(nullptr);
  const int rc = ::posix_spawn(&pid_, program.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw std::runtime_error("cannot start " + program.string() + ": " + std::strerror(rc));
}

ChildProcess::~ChildProcess() {
  if (!running()) return;
  ::kill(pid_, SIGKILL);
  ::waitpid(pid_, &status_, 0);
}

bool ChildProcess::running() {
  if (reaped_) return false;
  if (::waitpid(pid_, &status_, WNOHANG) == pid_) reaped_ = true;
  return !reaped_;
}

void ChildProcess::signal(int signo) {
  if (running()) ::kill(pid_, signo);
}

std::string ChildProcess::stderr_so_far() const { return slurp(dir_ / "stderr"); }

ChildResult ChildProcess::wait(std::chrono::milliseconds limit) {
  if (!poll_until([this] { return !running(); }, limit)) {
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status_, 0);
    reaped_ = true;
    ADD_FAILURE() << "child " << pid_ << " still running after " << limit.count() << " ms; killed. stderr:\n"
                  << stderr_so_far();
  }
  ChildResult result;
  result.exit_code = WIFEXITED(status_) ? WEXITSTATUS(status_) : -1;
  result.out = slurp(dir_ / "stdout");
  result.err = slurp(dir_ / "stderr");
  return result;
}

ChildResult run_program(const std::filesystem::path& program, const std::vector<std::string>& args, const std::string& input,
                        std::chrono::milliseconds limit) {
  ChildProcess child(program, args, input);
  return child.wait(limit);
}

unsigned short free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
  socklen_t size = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &size);
  ::close(fd);
  return ntohs(addr.sin_port);
}

ServerProcess::ServerProcess(const std::vector<std::string>& extra_args) : ServerProcess(extra_args, free_port()) {}

ServerProcess::ServerProcess(const std::vector<std::string>& extra_args, unsigned short port)
    : port_(port), process_(bin_dir() / "crous-server", [&] {
        std::vector<std::string> args{"--listen-address", "127.0.0.1", "--port", std::to_string(port_), "--log-level", "warn"};
        args.insert(args.end(), extra_args.begin(), extra_args.end());
        return args;
      }()) {
  const bool up = poll_until([this] { return !process_.running() || can_connect(port_); }, std::chrono::seconds(20));
  if (!up || !process_.running()) {
    throw std::runtime_error("crous-server did not start on port " + std::to_string(port_) + ":\n" + process_.stderr_so_far());
  }
}

ServerProcess::~ServerProcess() {
  if (process_.running()) stop();
}

int ServerProcess::stop() {
  process_.signal(SIGTERM);
  return wait();
}

int ServerProcess::wait() { return process_.wait(std::chrono::seconds(20)).exit_code; }

ChildResult run_echo_json(unsigned short port, std::vector<std::string> args) {
  args.insert(args.begin(), {"--port", std::to_string(port), "--format", "json", "--timeout", "5000"});
  return run_program(bin_dir() / "crous-echo", args);
}

}  // namespace crous::test
