#include "process_metrics.hpp"

#include <dirent.h>
#include <sys/resource.h>
#include <unistd.h>

#include <fstream>
#include <optional>
#include <sstream>
#include <utility>

namespace crous::server::detail {
namespace {

using prometheus::MetricFamily;
using prometheus::MetricType;

struct ProcStat {
  double cpu_seconds = 0;
  double start_seconds_after_boot = 0;
  double virtual_bytes = 0;
  double resident_bytes = 0;
};

// /proc/self/stat: the fields after the command name, which is in
// parentheses and may itself contain spaces and parentheses.
std::optional<ProcStat> read_proc_stat() {
  std::ifstream file("/proc/self/stat");
  std::string line;
  if (!std::getline(file, line)) return std::nullopt;
  const auto close = line.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream fields(line.substr(close + 2));
  // Field 3 (state) is the first after the name; utime is 14, stime 15,
  // starttime 22, vsize 23, rss 24 (man 5 proc).
  std::vector<std::string> f;
  for (std::string word; fields >> word && f.size() < 22;) f.push_back(std::move(word));
  if (f.size() < 22) return std::nullopt;
  const auto at = [&](int field) { return std::stod(f[static_cast<std::size_t>(field - 3)]); };
  const double ticks = static_cast<double>(::sysconf(_SC_CLK_TCK));
  const double page = static_cast<double>(::sysconf(_SC_PAGESIZE));
  try {
    return ProcStat{(at(14) + at(15)) / ticks, at(22) / ticks, at(23), at(24) * page};
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

// Boot time, seconds since the epoch (/proc/stat "btime").
std::optional<double> boot_time() {
  std::ifstream file("/proc/stat");
  std::string key;
  double value = 0;
  while (file >> key) {
    if (key == "btime" && file >> value) return value;
    file.ignore(1 << 20, '\n');
  }
  return std::nullopt;
}

std::optional<double> open_fds() {
  DIR* dir = ::opendir("/proc/self/fd");
  if (!dir) return std::nullopt;
  double n = 0;
  while (const dirent* entry = ::readdir(dir))
    if (entry->d_name[0] != '.') ++n;
  ::closedir(dir);
  return n - 1;  // the descriptor opendir itself holds
}

void add(std::vector<MetricFamily>& out, const char* name, const char* help, MetricType type, double value) {
  MetricFamily f{name, help, type, {}};
  f.metric.emplace_back();
  if (type == MetricType::Counter) f.metric.back().counter.value = value;
  else f.metric.back().gauge.value = value;
  out.push_back(std::move(f));
}

}  // namespace

const std::vector<std::string>& process_family_names() {
  static const std::vector<std::string> names{"process_cpu_seconds_total",    "process_resident_memory_bytes",
                                              "process_virtual_memory_bytes", "process_open_fds",
                                              "process_max_fds",              "process_start_time_seconds"};
  return names;
}

std::vector<MetricFamily> process_metric_families() {
  std::vector<MetricFamily> out;
  const auto stat = read_proc_stat();
  if (stat) {
    add(out, "process_cpu_seconds_total", "Total user and system CPU time spent in seconds", MetricType::Counter,
        stat->cpu_seconds);
    add(out, "process_resident_memory_bytes", "Resident memory size in bytes", MetricType::Gauge,
        stat->resident_bytes);
    add(out, "process_virtual_memory_bytes", "Virtual memory size in bytes", MetricType::Gauge, stat->virtual_bytes);
  }
  if (const auto fds = open_fds())
    add(out, "process_open_fds", "Number of open file descriptors", MetricType::Gauge, *fds);
  rlimit limit{};
  if (::getrlimit(RLIMIT_NOFILE, &limit) == 0 && limit.rlim_cur != RLIM_INFINITY)
    add(out, "process_max_fds", "Maximum number of open file descriptors", MetricType::Gauge,
        static_cast<double>(limit.rlim_cur));
  if (stat)
    if (const auto boot = boot_time())
      add(out, "process_start_time_seconds", "Start time of the process since unix epoch in seconds",
          MetricType::Gauge, *boot + stat->start_seconds_after_boot);
  return out;
}

}  // namespace crous::server::detail
