#include "scaleout_lab.hpp"

#include <iostream>
#include <regex>
#include <stdexcept>
#include <thread>

#include "flux_connection.hpp"
#include "test_support.hpp"

namespace crous::test {
namespace {

using Clock = std::chrono::steady_clock;

const std::filesystem::path kConfig = std::filesystem::path(CROUS_SOURCE_DIR) / "deploy/haproxy/haproxy.cfg";

}  // namespace

ScaleOutLab::ScaleOutLab() : network_(std::make_unique<NetworkLab>(kInstances)) {
  if (!network_->namespaces())
    std::cout << "[   NOTE   ] no network namespaces (" << network_->why()
              << "): the three instances run on 127.0.0.1, each on its own port\n";
  instances_.resize(kInstances);
  ports_.resize(kInstances);
  for (int i = 0; i < kInstances; ++i) start(i);
  std::vector<std::string> servers;
  for (int i = 0; i < kInstances; ++i)
    servers.push_back(network_->host(i).address + ":" + std::to_string(ports_[static_cast<std::size_t>(i)]));
  haproxy_ = std::make_unique<HaproxyProcess>(kConfig, free_port(), servers);
  for (int i = 0; i < kInstances; ++i)
    if (!haproxy_->wait_status(name(i), "UP", std::chrono::seconds(20)))
      throw std::runtime_error("HAProxy never saw " + name(i) + " UP (" + haproxy_->status(name(i)) + "):\n" +
                               haproxy_->log() + "\n" + log(i));
}

ScaleOutLab::~ScaleOutLab() {
  haproxy_.reset();
  instances_.clear();  // SIGKILL whatever still runs, before its namespace goes
  network_.reset();
}

// In a namespace every instance has the port space to itself: 7878, as in
// production. On loopback each needs its own, picked by the server (0) the
// first time and kept when it starts again (HAProxy knows it by it).
// drain_timeout is 3 s, not 8, to keep rolling restarts short.
void ScaleOutLab::start(int i) {
  const auto at = static_cast<std::size_t>(i);
  instances_[at].reset();
  const NetworkLab::Host& host = network_->host(i);
  const std::string port = !host.namespace_.empty() ? "7878" : std::to_string(ports_[at]);
  const std::vector<std::string> args{"--listen-address", host.address, "--port",      port,  "--proxy-protocol",
                                      "on",               "--log-level", "debug",      "--threads", "1",
                                      "--workers",        "1",           "--drain-timeout", "3s"};
  const std::vector<std::string> argv = network_->command_on(i, (bin_dir() / "crous-server").string(), args);
  instances_[at] = std::make_unique<ChildProcess>(argv.front(), std::vector<std::string>(argv.begin() + 1, argv.end()));
  const std::regex listening("listening on [0-9.]+:([0-9]+)");
  const auto deadline = Clock::now() + std::chrono::seconds(20);
  std::smatch m;
  for (std::string log_text; !std::regex_search(log_text = log(i), m, listening);) {
    if (!instances_[at]->running() || Clock::now() > deadline)
      throw std::runtime_error("crous-server on " + host.address + " did not start:\n" + log_text);
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ports_[at] = static_cast<std::uint16_t>(std::stoi(m[1]));
}

int ScaleOutLab::wait_exit(int i, std::chrono::milliseconds limit) {
  return instances_.at(static_cast<std::size_t>(i))->wait(limit).exit_code;
}

Value ScaleOutLab::stats(int i) const {
  return instance_stats(network_->host(i).address, ports_.at(static_cast<std::size_t>(i)), true);
}

std::vector<std::size_t> ScaleOutLab::log_marks() const {
  std::vector<std::size_t> marks;
  for (int i = 0; i < kInstances; ++i) marks.push_back(log(i).size());
  return marks;
}

int ScaleOutLab::serving(std::uint16_t client_port, const std::vector<std::size_t>& marks) const {
  const std::string opened = "connection open: 127.0.0.1:" + std::to_string(client_port) + " (through proxy ";
  int found = -1;
  for (int i = 0; i < kInstances; ++i) {
    const std::string text = log(i);
    const std::size_t from = std::min(marks.at(static_cast<std::size_t>(i)), text.size());
    if (text.find(opened, from) == std::string::npos) continue;
    if (found != -1) return -2;
    found = i;
  }
  return found;
}

}  // namespace crous::test
