#pragma once
// Runs a route's handler: the one place where a handler's exceptions become
// error records, shared by inline, offloaded and async execution.
#include <exception>

#include "crous/server/router.hpp"

namespace crous::server::detail {

struct HandlerOutcome {
  Value response;       // the handler's response, or an error record
  bool failed = false;  // the handler threw
};

HandlerOutcome call_handler(const Route& route, const Value& request);

// The error record for a handler's exception: a HandlerError's own code,
// else handler_error with the exception's message; the "id" of `request`
// (a dict) goes with it.
Value error_for(std::exception_ptr error, const Value& request);

// Appends `response` encoded to `out`; when it cannot be encoded (nested
// deeper than FLUX allows, say), a handler_error record instead, and false.
bool encode_response(const Value& response, const Value& request, Bytes& out);

}  // namespace crous::server::detail
