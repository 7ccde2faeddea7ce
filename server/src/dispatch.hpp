#pragma once
// Runs a route's handler: the one place where a handler's exceptions become
// error records, shared by inline and offloaded execution.
#include "crous/server/router.hpp"

namespace crous::server::detail {

struct HandlerOutcome {
  Value response;       // the handler's response, or an error record
  bool failed = false;  // the handler threw
};

HandlerOutcome call_handler(const Route& route, const Value& request);

}  // namespace crous::server::detail
