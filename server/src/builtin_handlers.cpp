#include "builtin_handlers.hpp"

#ifndef CROUS_VERSION
#define CROUS_VERSION "unknown"
#endif

namespace crous::server::detail {

void register_builtin_handlers(Router& router, const Options& options, std::function<StatsSnapshot()> stats) {
  router.add_echo("echo");
  router.add("ping", [](const Value&) { return Value(Dict{{"pong", true}}); });
  router.add("stats", [stats = std::move(stats)](const Value&) { return stats().to_value(); });
  // The router holding this handler and the options belong to the same
  // server, so the references stay valid.
  router.add("info", [&options, &router](const Value&) {
    List ops;
    for (auto& op : router.ops()) ops.push_back(op);
    auto n = [](auto v) { return Value(static_cast<std::int64_t>(v)); };
    return Value(Dict{
        {"server", "crous-server"},
        {"version", CROUS_VERSION},
        {"route_key", options.route_key},
        {"default_route", options.default_route},
        {"ops", std::move(ops)},
        {"limits", Dict{{"max_record_bytes", n(options.max_record_bytes)},
                        {"max_depth", n(options.max_depth)},
                        {"max_connections", n(options.max_connections)},
                        {"max_connections_per_ip", n(options.max_connections_per_ip)},
                        {"high_watermark", n(options.high_watermark)},
                        {"max_buffered_bytes", n(options.max_buffered_input())},
                        {"max_offloads_per_connection", n(options.max_offloads_per_connection)},
                        {"idle_timeout_ms", n(options.idle_timeout.count())},
                        {"record_timeout_ms", n(options.record_timeout.count())},
                        {"write_timeout_ms", n(options.write_timeout.count())}}},
        {"compression", List{Value(options.compression == config::Compression::lz4 ? "lz4" : "none")}},
        {"tls", Dict{{"enabled", options.tls_port.has_value()},
                     {"client_certificates_required", options.tls_port.has_value() && !options.tls_ca_file.empty()},
                     {"min_version", std::string(config::to_string(options.tls_min_version))},
                     {"plain_port_open", options.port.has_value()}}},
    });
  });
}

}  // namespace crous::server::detail
