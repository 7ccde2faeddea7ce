#pragma once
// "converted 120000 records, 48.2 MB" (or items, with --items) on stderr,
// refreshed a few times a second, only when stderr is a terminal (never in
// pipes, logs or tests).
#include <chrono>
#include <cstdint>

#include "input.hpp"

namespace crous::cli {

class Progress {
 public:
  // `unit`: what done_one() counts, "records" or "items".
  Progress(const Input& in, const char* verb, const char* unit = "records");
  ~Progress();  // clears the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void done_one();

 private:
  void print();

  const Input& in_;
  const char* verb_;
  const char* unit_;
  bool enabled_;
  std::uint64_t done_ = 0;
  bool printed_ = false;
  std::chrono::steady_clock::time_point next_;
};

}  // namespace crous::cli
