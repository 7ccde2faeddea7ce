#pragma once
// "converted 120000 records, 48.2 MB" on stderr, refreshed a few times a
// second, only when stderr is a terminal (never in pipes, logs or tests).
#include <chrono>
#include <cstdint>

#include "input.hpp"

namespace crous::cli {

class Progress {
 public:
  Progress(const Input& in, const char* verb);
  ~Progress();  // clears the line
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  void record_done();

 private:
  void print();

  const Input& in_;
  const char* verb_;
  bool enabled_;
  std::uint64_t records_ = 0;
  bool printed_ = false;
  std::chrono::steady_clock::time_point next_;
};

}  // namespace crous::cli
