#pragma once
// The operators' endpoint of one server: its own families (MetricsCollector)
// and the embedding service's registry, as Prometheus text, served over
// HTTP with /healthz and /readyz (MetricsHttp).
#include <atomic>
#include <cstdint>
#include <memory>
#include <string>

#include "metrics_collector.hpp"
#include "metrics_http.hpp"

namespace prometheus {
class Registry;
}

namespace crous::server::detail {

class MetricsExporter {
 public:
  // Starts listening; throws when address:port cannot be bound.
  MetricsExporter(const std::string& address, std::uint16_t port, MetricsSources sources,
                  std::shared_ptr<prometheus::Registry> registry);

  std::uint16_t port() const noexcept { return http_.port(); }
  std::string url() const { return http_.url(); }
  // The body of GET /metrics: the server's families, then the service's
  // (a service family reusing one of the server's names is left out, with
  // one warning).
  std::string scrape() const;

 private:
  MetricsCollector collector_;
  std::shared_ptr<prometheus::Registry> registry_;
  mutable std::atomic<bool> warned_clash_{false};
  MetricsHttp http_;  // last: serves only once the rest exists, and stops first
};

}  // namespace crous::server::detail
