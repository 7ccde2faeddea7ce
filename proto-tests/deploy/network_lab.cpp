#include "network_lab.hpp"

#include <signal.h>
#include <unistd.h>

#include <cerrno>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <sstream>
#include <stdexcept>

#include "child_process.hpp"

namespace crous::test {
namespace {

constexpr const char* kPrefix = "crous-lab-";

std::string ip_program() {
  for (const char* path : {"/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip"})
    if (std::filesystem::exists(path)) return path;
  return {};
}

ChildResult ip(const std::vector<std::string>& args) {
  return run_program(ip_program(), args, {}, std::chrono::seconds(20));
}

void must(const std::vector<std::string>& args) {
  const ChildResult r = ip(args);
  if (r.exit_code != 0) {
    std::string command = "ip";
    for (const auto& a : args) command += " " + a;
    throw std::runtime_error(command + ": " + r.err);
  }
}

// Kills every process in the namespace, then deletes it.
void remove_namespace(const std::string& name) noexcept {
  try {
    std::istringstream pids(ip({"netns", "pids", name}).out);
    for (int pid; pids >> pid;) ::kill(pid, SIGKILL);
    ip({"netns", "del", name});
  } catch (...) {
  }
}

// Namespaces of lab runs whose process is gone (killed before its
// destructor ran).
void remove_stale_namespaces() {
  std::istringstream list(ip({"netns", "list"}).out);
  for (std::string line; std::getline(list, line);) {
    const std::string name = line.substr(0, line.find(' '));
    if (name.rfind(kPrefix, 0) != 0) continue;
    const int owner = std::atoi(name.c_str() + std::string(kPrefix).size());
    if (owner > 0 && process_gone(owner)) remove_namespace(name);
  }
}

}  // namespace

bool process_gone(int pid) {
  if (::kill(pid, 0) != 0 && errno == ESRCH) return true;
  // /proc/<pid>/stat: "pid (comm) S ...", the state after the last ')'.
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  const std::string text{std::istreambuf_iterator<char>(stat), std::istreambuf_iterator<char>()};
  const auto paren = text.rfind(')');
  return paren != std::string::npos && paren + 2 < text.size() && text[paren + 2] == 'Z';
}

NetworkLab::NetworkLab(int hosts) {
  if (::geteuid() != 0) {
    why_ = "not root: network namespaces need CAP_SYS_ADMIN";
  } else if (ip_program().empty()) {
    why_ = "no ip command (iproute2)";
  } else {
    try {
      namespaces_ = create(hosts);
    } catch (const std::exception& e) {
      why_ = std::string("cannot make network namespaces here: ") + e.what();
      destroy();
    }
  }
  if (!namespaces_) {
    hosts_.assign(static_cast<std::size_t>(hosts), Host{"127.0.0.1", ""});
  }
}

NetworkLab::~NetworkLab() { destroy(); }

// Host i: namespace crous-lab-<pid>-<i>, joined by the veth pair
// cl<pid>h<i> (here) / cl<pid>n<i> (there) on a /30 of its own,
// 10.213.K.0/30 with K from the pid so that two test programs running at
// once do not collide. The addresses exist only on these veth pairs, inside
// this machine.
bool NetworkLab::create(int hosts) {
  remove_stale_namespaces();
  const int pid = static_cast<int>(::getpid());
  for (int i = 0; i < hosts; ++i) {
    const std::string ns = kPrefix + std::to_string(pid) + "-" + std::to_string(i);
    const std::string here = "cl" + std::to_string(pid) + "h" + std::to_string(i);
    const std::string there = "cl" + std::to_string(pid) + "n" + std::to_string(i);
    const std::string net = "10.213." + std::to_string((pid % 60) * 4 + i) + ".";
    must({"netns", "add", ns});
    hosts_.push_back({net + "2", ns});
    must({"link", "add", here, "type", "veth", "peer", "name", there});
    links_.push_back(here);
    must({"link", "set", there, "netns", ns});
    must({"addr", "add", net + "1/30", "dev", here});
    must({"link", "set", here, "up"});
    must({"netns", "exec", ns, "ip", "addr", "add", net + "2/30", "dev", there});
    must({"netns", "exec", ns, "ip", "link", "set", there, "up"});
    must({"netns", "exec", ns, "ip", "link", "set", "lo", "up"});
  }
  return true;
}

void NetworkLab::destroy() noexcept {
  for (const Host& host : hosts_)
    if (!host.namespace_.empty()) remove_namespace(host.namespace_);  // a veth pair moved there goes with it
  // One not moved yet (a failed setup) is still here.
  for (const std::string& link : links_) {
    try {
      if (ip({"link", "show", link}).exit_code == 0) ip({"link", "del", link});
    } catch (...) {
    }
  }
  hosts_.clear();
  links_.clear();
}

std::vector<std::string> NetworkLab::command_on(int i, const std::string& program,
                                                const std::vector<std::string>& args) const {
  std::vector<std::string> argv;
  if (!host(i).namespace_.empty()) argv = {ip_program(), "netns", "exec", host(i).namespace_};
  argv.push_back(program);
  argv.insert(argv.end(), args.begin(), args.end());
  return argv;
}

}  // namespace crous::test
