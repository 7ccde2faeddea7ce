#pragma once
// The server's own metric families, built when /metrics is scraped from
// what the data path already keeps: the Stats atomics (published once per
// batch), the gauges of Server::stats(), and the shards' latency cells. No
// prometheus-cpp metric object is touched per record.
#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "crous/server/stats.hpp"
#include "request_latency.hpp"

namespace crous::server::detail {

// /readyz and crous_ready.
struct Readiness {
  bool ready = true;
  std::string reason;  // why not, for the 503 body
};

struct MetricsSources {
  std::function<StatsSnapshot()> snapshot;  // any thread
  std::function<Readiness()> readiness;     // any thread
  std::vector<std::string> op_labels;       // label value per latency label: the router's ops, then "(unregistered)"
  std::vector<const RequestLatency*> shards;
  std::size_t max_connections = 0;
  std::string version;
  bool tls = false;
};

class MetricsCollector final : public prometheus::Collectable {
 public:
  // The op label of requests whose op is not registered.
  static constexpr const char* kUnregisteredOp = "(unregistered)";

  explicit MetricsCollector(MetricsSources sources);
  std::vector<prometheus::MetricFamily> Collect() const override;
  // The names of the families Collect() returns (a service's registry may
  // not reuse them).
  static const std::vector<std::string>& family_names();
  const std::function<Readiness()>& readiness_source() const noexcept { return sources_.readiness; }

 private:
  MetricsSources sources_;
};

}  // namespace crous::server::detail
