#include "haproxy_process.hpp"

#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "network_lab.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

// Where running HAProxies note their pid as <test program pid>.pid, so that
// one left behind by a test program that was killed (a ctest timeout) is
// stopped by the next one.
const fs::path kPidDir = fs::temp_directory_path() / "crous-test-haproxy-pids";

std::string read_line(const fs::path& path) {
  std::ifstream in(path);
  std::string line;
  std::getline(in, line);
  return line;
}

void stop_orphans() {
  std::error_code ec;
  for (const auto& entry : fs::directory_iterator(kPidDir, ec)) {
    const int owner = std::atoi(entry.path().stem().c_str());
    if (owner <= 0 || process_gone(owner)) {
      const int pid = std::atoi(read_line(entry.path()).c_str());
      if (pid > 0 && read_line("/proc/" + std::to_string(pid) + "/comm") == "haproxy") ::kill(pid, SIGKILL);
      fs::remove(entry.path(), ec);
    }
  }
}

std::vector<std::string> split(const std::string& line, char by) {
  std::vector<std::string> out;
  std::string item;
  std::istringstream in(line);
  while (std::getline(in, item, by)) out.push_back(item);
  return out;
}

}  // namespace

fs::path haproxy_program(std::string& why) {
  auto find = [] {
    for (const char* path : {"/usr/sbin/haproxy", "/usr/bin/haproxy"})
      if (fs::exists(path)) return fs::path(path);
    return fs::path();
  };
  if (auto found = find(); !found.empty()) return found;
  if (::geteuid() != 0) {
    why = "haproxy is not installed and this is not root (scripts/install-deps.sh installs it)";
    return {};
  }
  const ChildResult r = run_program("/bin/bash", {std::string(CROUS_SOURCE_DIR) + "/scripts/install-deps.sh"}, {},
                                    std::chrono::minutes(10));
  if (auto found = find(); !found.empty()) return found;
  why = "haproxy is not installed and scripts/install-deps.sh could not install it: " + r.err;
  return {};
}

HaproxyProcess::HaproxyProcess(const fs::path& config, std::uint16_t port, const std::vector<std::string>& servers)
    : port_(port), dir_(temp_dir("haproxy")) {
  std::string why;
  const fs::path program = haproxy_program(why);
  if (program.empty()) throw std::runtime_error(why);
  fs::create_directories(kPidDir);
  stop_orphans();
  pid_file_ = kPidDir / (std::to_string(::getpid()) + ".pid");
  ScopedEnvironment::Variables env{{"CROUS_LB_BIND", "127.0.0.1:" + std::to_string(port)},
                                   {"CROUS_HAPROXY_STATS_SOCKET", (dir_ / "stats.sock").string()}};
  for (std::size_t i = 0; i < servers.size(); ++i) env.push_back({"CROUS_SERVER_" + std::to_string(i + 1), servers[i]});
  {
    ScopedEnvironment scoped(env);  // the child inherits it
    process_ = std::make_unique<ChildProcess>(program, std::vector<std::string>{"-db", "-f", config.string()});
  }
  std::ofstream(pid_file_) << process_->pid() << "\n";
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  while (ask("show info").find("Pid:") == std::string::npos) {
    if (!process_->running() || Clock::now() > deadline)
      throw std::runtime_error("haproxy did not start:\n" + process_->stderr_so_far());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

HaproxyProcess::~HaproxyProcess() {
  process_.reset();  // SIGKILL
  std::error_code ec;
  fs::remove(pid_file_, ec);
}

std::string HaproxyProcess::ask(const std::string& command) {
  const int fd = ::socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  sockaddr_un addr{};
  addr.sun_family = AF_UNIX;
  const std::string path = (dir_ / "stats.sock").string();
  std::strncpy(addr.sun_path, path.c_str(), sizeof addr.sun_path - 1);
  std::string out;
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) {
    const std::string line = command + "\n";
    if (::send(fd, line.data(), line.size(), MSG_NOSIGNAL) == static_cast<ssize_t>(line.size())) {
      // HAProxy answers and closes; bounded by a poll timeout per read.
      char buf[8192];
      pollfd p{fd, POLLIN, 0};
      while (::poll(&p, 1, 2000) == 1) {
        const ssize_t n = ::read(fd, buf, sizeof buf);
        if (n <= 0) break;
        out.append(buf, static_cast<std::size_t>(n));
      }
    }
  }
  ::close(fd);
  return out;
}

std::string HaproxyProcess::status(const std::string& server) {
  std::istringstream csv(ask("show stat"));
  std::string line;
  if (!std::getline(csv, line) || line.rfind("# ", 0) != 0) return {};
  const std::vector<std::string> header = split(line.substr(2), ',');
  std::size_t status_column = header.size();
  for (std::size_t i = 0; i < header.size(); ++i)
    if (header[i] == "status") status_column = i;
  while (std::getline(csv, line)) {
    const std::vector<std::string> fields = split(line, ',');
    if (fields.size() > status_column && fields[0] == "crous_servers" && fields[1] == server)
      return fields[status_column];
  }
  return {};
}

std::optional<std::chrono::milliseconds> HaproxyProcess::wait_status(const std::string& server,
                                                                     const std::string& wanted,
                                                                     std::chrono::milliseconds limit) {
  const auto start = Clock::now();
  while (status(server) != wanted) {
    if (Clock::now() - start > limit) return std::nullopt;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - start);
}

}  // namespace crous::test
