#include "metrics_exporter.hpp"

#include <prometheus/registry.h>
#include <prometheus/text_serializer.h>
#include <spdlog/spdlog.h>

#include <algorithm>
#include <sstream>

namespace crous::server::detail {

MetricsExporter::MetricsExporter(const std::string& address, std::uint16_t port, MetricsSources sources,
                                 std::shared_ptr<prometheus::Registry> registry)
    : collector_(std::move(sources)),
      registry_(std::move(registry)),
      http_(address, port, {[this] { return scrape(); }, collector_.readiness_source()}) {}

std::string MetricsExporter::scrape() const {
  std::vector<prometheus::MetricFamily> families = collector_.Collect();
  if (registry_) {
    const auto& ours = MetricsCollector::family_names();
    for (auto& family : registry_->Collect()) {
      if (std::find(ours.begin(), ours.end(), family.name) != ours.end()) {
        if (!warned_clash_.exchange(true))
          spdlog::warn("metrics: the service registered a family named {}, which the server itself exports; "
                       "the service's is left out of /metrics", family.name);
        continue;
      }
      families.push_back(std::move(family));
    }
  }
  std::ostringstream out;
  prometheus::TextSerializer().Serialize(out, families);
  return std::move(out).str();
}

}  // namespace crous::server::detail
