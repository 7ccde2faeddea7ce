#pragma once
// Bounds how often one kind of warning is logged: at most `burst` lines per
// `period`; the lines held back are counted and the next line that is let
// through says how many there were. A client that retries a failing TLS
// handshake in a loop, or an fd shortage that fails every accept, then costs
// a few lines per period instead of flooding the log. Any thread.
#include <chrono>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>

namespace crous::server::detail {

class LogThrottle {
 public:
  using clock = std::chrono::steady_clock;

  LogThrottle(clock::duration period, unsigned burst) : period_(period), burst_(burst) {}

  // nullopt: stay quiet (counted). Otherwise log, mentioning the returned
  // number of lines held back since the last one logged (when not 0).
  std::optional<std::uint64_t> admit(clock::time_point now = clock::now()) {
    std::lock_guard lock(mutex_);
    if (now - window_start_ >= period_ || window_start_ == clock::time_point{}) {
      window_start_ = now;
      used_ = 0;
    }
    if (used_ == burst_) {
      ++held_back_;
      return std::nullopt;
    }
    ++used_;
    const std::uint64_t held = held_back_;
    held_back_ = 0;
    return held;
  }

  // The end of a line let through: " (N more <what> not logged before this
  // one)", or "" when none were held back.
  static std::string held_back_note(std::uint64_t held_back, std::string_view what) {
    if (held_back == 0) return {};
    return " (" + std::to_string(held_back) + " more " + std::string(what) + " not logged before this one)";
  }

 private:
  const clock::duration period_;
  const unsigned burst_;
  std::mutex mutex_;
  clock::time_point window_start_{};
  unsigned used_ = 0;
  std::uint64_t held_back_ = 0;
};

}  // namespace crous::server::detail
