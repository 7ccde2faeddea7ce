#pragma once
// The process metrics every Prometheus exporter publishes (the names and
// meanings of the official client libraries' process collector), read from
// /proc/self at scrape time.
#include <prometheus/metric_family.h>

#include <string>
#include <vector>

namespace crous::server::detail {

// process_cpu_seconds_total, process_resident_memory_bytes,
// process_virtual_memory_bytes, process_open_fds, process_max_fds,
// process_start_time_seconds. A value that cannot be read is left out.
std::vector<prometheus::MetricFamily> process_metric_families();
const std::vector<std::string>& process_family_names();

}  // namespace crous::server::detail
