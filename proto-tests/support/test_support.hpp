#pragma once
// Helpers shared by every test area.
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "crous/value.hpp"

namespace crous::test {

// Polls `done` until it holds or `limit` passes (bounded wait on an outcome
// the test cannot be notified of).
template <class Pred>
bool eventually(Pred done, std::chrono::milliseconds limit = std::chrono::seconds(10)) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

// ../shared/golden beside the checkout. Fails the test (fatally) if missing:
// conformance tests must never silently skip.
std::filesystem::path golden_dir();
// Files in golden/<sub> ending in `extension` (".flux"), sorted by name.
std::vector<std::filesystem::path> golden_files(const std::string& sub, const std::string& extension);

std::vector<std::uint8_t> read_file(const std::filesystem::path& path);
std::string read_text(const std::filesystem::path& path);
void write_file(const std::filesystem::path& path, const std::vector<std::uint8_t>& data);

// Where build/bin executables live (crous, crous-server, ...).
std::filesystem::path bin_dir();

// Runs `command` with /bin/sh; its exit status (-1 if it did not exit
// normally) and what it wrote (append 2>&1 to the command for stderr too).
struct CommandOutcome {
  int status;
  std::string output;
};
CommandOutcome run_command(const std::string& command);

// A fresh empty directory under the system temp dir, removed at exit.
std::filesystem::path temp_dir(const std::string& name);

// AddressSanitizer's quarantine and shadow memory hold freed blocks on
// purpose, so RSS says nothing about the code's own footprint there; the
// plain build (the README test command) checks RSS bounds, the sanitized
// build checks memory safety of the same runs.
#if defined(__SANITIZE_ADDRESS__)
inline constexpr bool rss_is_meaningful = false;
#else
inline constexpr bool rss_is_meaningful = true;
#endif

// Resident set size of this process now, and its peak, in bytes (from /proc).
std::size_t current_rss_bytes();
std::size_t peak_rss_bytes();

// Seeded random values of every kind, for round-trip and fuzz-style tests.
struct RandomValueOptions {
  unsigned max_depth = 5;
  std::size_t max_items = 8;
  std::size_t max_string = 24;
  bool floats = true;       // include floats (NaN, inf, -0.0 among them)
  bool odd_strings = true;  // strings with NUL, newline, ',', '}', multi-byte UTF-8
};
class RandomValueGenerator {
 public:
  explicit RandomValueGenerator(std::uint64_t seed, RandomValueOptions options = {});
  Value next();

 private:
  Value value(unsigned depth);
  std::string string();
  std::string key();
  std::size_t count();

  std::mt19937_64 rng_;
  RandomValueOptions options_;
};

}  // namespace crous::test
