#include "request_latency.hpp"

#include <fstream>
#include <mutex>
#include <string>
#include <thread>

namespace crous::server::detail {
namespace {

#if defined(__x86_64__)
// The kernel keeps time with the TSC only when it found it invariant and
// synchronised between CPUs; otherwise it switched to another clocksource.
bool kernel_trusts_tsc() {
  std::ifstream file("/sys/devices/system/clocksource/clocksource0/current_clocksource");
  std::string name;
  return file >> name && name == "tsc";
}

using steady = std::chrono::steady_clock;

// A TSC reading with the steady_clock time around it; false when the pair
// was torn apart (preempted between the readings).
bool paired_reading(std::uint64_t& tsc, steady::time_point& at) {
  const auto before = steady::now();
  tsc = __rdtsc();
  const auto after = steady::now();
  at = before + (after - before) / 2;
  return after - before < std::chrono::microseconds(5);
}

// Ticks per second, measured over ~2 ms against steady_clock: relative
// error ~ (reading jitter) / interval, about 1e-5, far below what the
// histogram's buckets resolve. 0 when no clean pair could be read.
double tsc_ticks_per_second() {
  std::uint64_t tsc0 = 0, tsc1 = 0;
  steady::time_point t0, t1;
  for (int tries = 0; !paired_reading(tsc0, t0); ++tries)
    if (tries == 100) return 0;
  std::this_thread::sleep_for(std::chrono::milliseconds(2));
  for (int tries = 0; !paired_reading(tsc1, t1); ++tries)
    if (tries == 100) return 0;
  const double seconds = std::chrono::duration<double>(t1 - t0).count();
  if (seconds <= 0 || tsc1 <= tsc0) return 0;
  return static_cast<double>(tsc1 - tsc0) / seconds;
}
#endif

}  // namespace

void LatencyClock::init() {
  static std::once_flag once;
  std::call_once(once, [] {
#if defined(__x86_64__)
    if (!kernel_trusts_tsc()) return;
    const double hz = tsc_ticks_per_second();
    if (hz < 1e8) return;  // implausible: keep steady_clock
    seconds_per_tick_ = 1.0 / hz;
    tsc_ = true;
#endif
  });
}

}  // namespace crous::server::detail
