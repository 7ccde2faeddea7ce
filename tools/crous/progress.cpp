#include "progress.hpp"

#include <unistd.h>

#include <cstdio>

namespace crous::cli {

namespace {
constexpr auto interval = std::chrono::milliseconds(250);
}

Progress::Progress(const Input& in, const char* verb, const char* unit)
    : in_(in), verb_(verb), unit_(unit), enabled_(::isatty(2) == 1), next_(std::chrono::steady_clock::now() + interval) {}

Progress::~Progress() {
  if (printed_) std::fputs("\r\033[K", stderr);
}

void Progress::done_one() {
  ++done_;
  // Reading the clock per record would cost more than small records do.
  if (!enabled_ || done_ % 64 != 0) return;
  const auto now = std::chrono::steady_clock::now();
  if (now < next_) return;
  next_ = now + interval;
  print();
}

void Progress::print() {
  std::fprintf(stderr, "\r%s %llu %s, %.1f MB\033[K", verb_, static_cast<unsigned long long>(done_), unit_,
               static_cast<double>(in_.bytes_read()) / 1e6);
  std::fflush(stderr);
  printed_ = true;
}

}  // namespace crous::cli
