#pragma once
// The ops every server answers: echo, ping, stats, info (docs/protocol.md).
#include <functional>

#include "crous/server/router.hpp"
#include "crous/server/server.hpp"

namespace crous::server::detail {

void register_builtin_handlers(Router& router, const Options& options, std::function<StatsSnapshot()> stats);

}  // namespace crous::server::detail
