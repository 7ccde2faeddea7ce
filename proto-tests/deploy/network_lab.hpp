#pragma once
// Hosts for the deployment tests: each its own network namespace joined to
// this one by a veth pair, so every crous-server instance has its own
// address and port space like a machine of its own, and a killed instance
// is gone the way a host is. Needs root and `ip` (iproute2); without them,
// every "host" is this machine's loopback and a note says so.
//
// Cleanup on every path: the destructor kills what runs in the namespaces
// and deletes them; namespaces left by a test run that was killed (a ctest
// timeout) are found by name at the next start and removed with their
// processes.
#include <string>
#include <vector>

namespace crous::test {

class NetworkLab {
 public:
  struct Host {
    std::string address;    // where the host's services listen and are reached from here
    std::string namespace_;  // empty in loopback mode
  };

  explicit NetworkLab(int hosts);
  ~NetworkLab();
  NetworkLab(const NetworkLab&) = delete;
  NetworkLab& operator=(const NetworkLab&) = delete;

  // False: loopback mode (why() says why).
  bool namespaces() const noexcept { return namespaces_; }
  const std::string& why() const noexcept { return why_; }
  // From 0.
  const Host& host(int i) const { return hosts_.at(static_cast<std::size_t>(i)); }
  // argv that runs `program args...` on host i (through `ip netns exec`).
  std::vector<std::string> command_on(int i, const std::string& program, const std::vector<std::string>& args) const;

 private:
  bool create(int hosts);
  void destroy() noexcept;

  std::vector<Host> hosts_;
  std::vector<std::string> links_;  // veth ends on this side
  bool namespaces_ = false;
  std::string why_;
};

// True when process `pid` has exited (or is a zombie nobody reaps, as
// under a container's init): what a killed test run left is then stale.
bool process_gone(int pid);

}  // namespace crous::test
