#pragma once
// Three crous-server instances with proxy_protocol on, each on a host of a
// NetworkLab (its own network namespace when the machine allows it), and
// Debian's HAProxy in front on 127.0.0.1 running deploy/haproxy/haproxy.cfg
// as shipped. Instances can be killed, stopped, and started again.
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "child_process.hpp"
#include "crous/value.hpp"
#include "haproxy_process.hpp"
#include "network_lab.hpp"

namespace crous::test {

class ScaleOutLab {
 public:
  static constexpr int kInstances = 3;

  // Throws when something cannot start. Returns once HAProxy sees every
  // instance UP.
  ScaleOutLab();
  ~ScaleOutLab();

  const NetworkLab& network() const { return *network_; }
  HaproxyProcess& haproxy() { return *haproxy_; }
  std::uint16_t port() const { return haproxy_->port(); }
  // HAProxy's name of instance i: crous1..3.
  static std::string name(int i) { return "crous" + std::to_string(i + 1); }

  // Where instance i listens (on network().host(i).address).
  std::uint16_t instance_port(int i) const { return ports_.at(static_cast<std::size_t>(i)); }
  void start(int i);
  void signal(int i, int signo) { instances_.at(static_cast<std::size_t>(i))->signal(signo); }
  // Exit code after SIGTERM-like ends (-1: killed by a signal).
  int wait_exit(int i, std::chrono::milliseconds limit);
  // Its `stats`, asked directly with a PROXY LOCAL header.
  Value stats(int i) const;
  // How much each instance has logged so far: serving() looks after it.
  std::vector<std::size_t> log_marks() const;
  // Which instance logged opening a connection for the client whose end of
  // its connection to HAProxy is 127.0.0.1:`client_port` (the PROXY header
  // names it) after `marks`; -1 if none did, -2 if more than one did.
  int serving(std::uint16_t client_port, const std::vector<std::size_t>& marks) const;
  std::string log(int i) const { return instances_.at(static_cast<std::size_t>(i))->stderr_so_far(); }

 private:
  std::unique_ptr<NetworkLab> network_;
  std::vector<std::unique_ptr<ChildProcess>> instances_;
  std::vector<std::uint16_t> ports_;
  std::unique_ptr<HaproxyProcess> haproxy_;
};

}  // namespace crous::test
