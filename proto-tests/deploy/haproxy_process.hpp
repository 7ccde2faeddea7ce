#pragma once
// Debian's HAProxy running deploy/haproxy/haproxy.cfg unchanged, with the
// addresses it reads from the environment, and its server states read
// through its stats socket (`show stat`).
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "child_process.hpp"

namespace crous::test {

// The haproxy program; installed on demand with scripts/install-deps.sh (it
// is in the build list) when missing and this is root. Empty when it cannot
// be had, with the reason in `why`.
std::filesystem::path haproxy_program(std::string& why);

class HaproxyProcess {
 public:
  // `servers`: address:port of each instance, in the order of crous1..3.
  HaproxyProcess(const std::filesystem::path& config, std::uint16_t port, const std::vector<std::string>& servers);
  ~HaproxyProcess();
  HaproxyProcess(const HaproxyProcess&) = delete;
  HaproxyProcess& operator=(const HaproxyProcess&) = delete;

  std::uint16_t port() const noexcept { return port_; }
  // "UP", "DOWN", "UP 1/2" (failing), "DOWN 1/2" (recovering), ...; empty
  // when HAProxy cannot be asked.
  std::string status(const std::string& server);
  // Polls (every 10 ms) until `server` has `wanted` as its status; how long
  // that took, or nullopt after `limit`.
  std::optional<std::chrono::milliseconds> wait_status(const std::string& server, const std::string& wanted,
                                                       std::chrono::milliseconds limit);
  std::string log() const { return process_->stderr_so_far(); }

 private:
  std::string ask(const std::string& command);

  std::uint16_t port_;
  std::filesystem::path dir_;
  std::filesystem::path pid_file_;
  std::unique_ptr<ChildProcess> process_;
};

}  // namespace crous::test
