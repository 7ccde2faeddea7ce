#include "metrics_collector.hpp"

#include <array>
#include <limits>
#include <utility>

#include "process_metrics.hpp"

namespace crous::server::detail {
namespace {

using prometheus::ClientMetric;
using prometheus::MetricFamily;
using prometheus::MetricType;

MetricFamily family(std::string name, std::string help, MetricType type) {
  return MetricFamily{std::move(name), std::move(help), type, {}};
}

ClientMetric value_metric(MetricType type, double value, std::vector<ClientMetric::Label> labels = {}) {
  ClientMetric m;
  m.label = std::move(labels);
  if (type == MetricType::Counter)
    m.counter.value = value;
  else
    m.gauge.value = value;
  return m;
}

MetricFamily single(std::string name, std::string help, MetricType type, double value) {
  MetricFamily f = family(std::move(name), std::move(help), type);
  f.metric.push_back(value_metric(type, value));
  return f;
}

// Error codes, as the client sees them in error records (and as `stats`
// names them under "errors").
struct ErrorField {
  const char* code;
  std::uint64_t StatsSnapshot::*field;
};
constexpr std::array kErrors{std::to_array<ErrorField>({
    {"decode_error", &StatsSnapshot::decode_errors},
    {"record_too_large", &StatsSnapshot::records_too_large},
    {"record_timeout", &StatsSnapshot::record_timeouts},
    {"unknown_op", &StatsSnapshot::unknown_ops},
    {"handler_error", &StatsSnapshot::handler_errors},
    {"handler_timeout", &StatsSnapshot::handler_timeouts},
    {"deadline_exceeded", &StatsSnapshot::deadline_exceeded},
    {"server_busy", &StatsSnapshot::server_busy},
    {"slow_consumer", &StatsSnapshot::slow_consumers},
    {"idle_timeout", &StatsSnapshot::idle_timeouts},
    {"tls_handshake_failed", &StatsSnapshot::tls_handshake_failures},
    {"proxy_header_invalid", &StatsSnapshot::proxy_header_failures},
})};

}  // namespace

MetricsCollector::MetricsCollector(MetricsSources sources) : sources_(std::move(sources)) {}

const std::vector<std::string>& MetricsCollector::family_names() {
  static const std::vector<std::string> names = [] {
    std::vector<std::string> out{
        "crous_build_info",
        "crous_ready",
        "crous_connections_open",
        "crous_connections_max",
        "crous_connections_accepted_total",
        "crous_connections_rejected_total",
        "crous_received_records_total",
        "crous_sent_records_total",
        "crous_received_bytes_total",
        "crous_sent_bytes_total",
        "crous_errors_total",
        "crous_request_duration_seconds",
        "crous_offloads_queued",
        "crous_offloads_running",
        "crous_async_running",
        "crous_input_buffered_bytes",
        "crous_input_budget_bytes",
        "crous_output_pending_bytes",
    };
    for (const auto& name : process_family_names()) out.push_back(name);
    return out;
  }();
  return names;
}

std::vector<MetricFamily> MetricsCollector::Collect() const {
  const StatsSnapshot s = sources_.snapshot();
  const Readiness readiness = sources_.readiness();
  std::vector<MetricFamily> out;
  out.reserve(family_names().size());

  MetricFamily build =
      family("crous_build_info", "crous-server build: version, and whether TLS is on (value 1)", MetricType::Gauge);
  build.metric.push_back(
      value_metric(MetricType::Gauge, 1, {{"tls", sources_.tls ? "on" : "off"}, {"version", sources_.version}}));
  out.push_back(std::move(build));
  out.push_back(single("crous_ready",
                       "1 while accepting (GET /readyz answers 200); 0 while draining or at max_connections",
                       MetricType::Gauge, readiness.ready ? 1 : 0));

  const auto g = [&](const char* name, const char* help, std::uint64_t v) {
    out.push_back(single(name, help, MetricType::Gauge, static_cast<double>(v)));
  };
  const auto c = [&](const char* name, const char* help, std::uint64_t v) {
    out.push_back(single(name, help, MetricType::Counter, static_cast<double>(v)));
  };
  g("crous_connections_open", "Client connections open now", s.connections_open);
  g("crous_connections_max", "max_connections: beyond it new connections get server_busy", sources_.max_connections);
  c("crous_connections_accepted_total", "Client connections accepted and served", s.connections_total);
  c("crous_connections_rejected_total",
    "Connections refused with server_busy at accept (max_connections, max_connections_per_ip)", s.connections_rejected);
  c("crous_received_records_total", "Request records framed", s.records_in);
  c("crous_sent_records_total", "Response records queued (responses and error records)", s.records_out);
  c("crous_received_bytes_total", "Bytes read from clients (after TLS decryption)", s.bytes_in);
  c("crous_sent_bytes_total", "Bytes written to clients (before TLS encryption)", s.bytes_out);

  MetricFamily errors =
      family("crous_errors_total", "Errors by code, as the error record or log names them", MetricType::Counter);
  for (const ErrorField& e : kErrors)
    errors.metric.push_back(value_metric(MetricType::Counter, static_cast<double>(s.*e.field), {{"code", e.code}}));
  out.push_back(std::move(errors));

  // Per op: the shards' cells summed, then made cumulative.
  MetricFamily latency = family("crous_request_duration_seconds",
                                "Time from a request record framed to its response encoded, per op (offloaded "
                                "handlers included; ops not registered under op=\"(unregistered)\")",
                                MetricType::Histogram);
  std::array<std::uint64_t, RequestLatency::kBuckets> buckets{};
  for (std::size_t label = 0; label < sources_.op_labels.size(); ++label) {
    buckets.fill(0);
    std::uint64_t sum_ticks = 0;
    for (const RequestLatency* shard : sources_.shards)
      if (shard && label < shard->labels()) shard->add_to(label, buckets, sum_ticks);
    ClientMetric m;
    m.label = {{"op", sources_.op_labels[label]}};
    std::uint64_t cumulative = 0;
    for (std::size_t b = 0; b < buckets.size(); ++b) {
      cumulative += buckets[b];
      const double bound = b < kLatencyBounds.size() ? kLatencyBounds[b] : std::numeric_limits<double>::infinity();
      m.histogram.bucket.push_back({cumulative, bound});
    }
    // _count is the +Inf bucket by construction, even while the shards
    // keep counting during the scrape.
    m.histogram.sample_count = cumulative;
    m.histogram.sample_sum = static_cast<double>(sum_ticks) * LatencyClock::seconds_per_tick();
    latency.metric.push_back(std::move(m));
  }
  out.push_back(std::move(latency));

  g("crous_offloads_queued", "Offloaded requests waiting for a worker", s.offloads_queued);
  g("crous_offloads_running", "Offloaded requests running on the worker pool", s.offloads_running);
  g("crous_async_running", "Async handlers started and not yet finished (waiting or running)", s.async_running);
  g("crous_input_buffered_bytes", "Memory held for unfinished request records (buffer capacity)",
    s.input_buffered_bytes);
  g("crous_input_budget_bytes", "max_buffered_bytes, resolved: the bound on crous_input_buffered_bytes",
    s.input_budget_bytes);
  g("crous_output_pending_bytes", "Responses encoded and not yet written", s.output_pending_bytes);

  for (auto& f : process_metric_families()) out.push_back(std::move(f));
  return out;
}

}  // namespace crous::server::detail
