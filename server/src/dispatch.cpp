#include "dispatch.hpp"

#include "crous/server/error_record.hpp"

namespace crous::server::detail {

HandlerOutcome call_handler(const Route& route, const Value& request) {
  try {
    return {route.handler(request), false};
  } catch (const HandlerError& e) {
    return {error_record(e.code(), e.what(), &request), true};
  } catch (const std::exception& e) {
    return {error_record(codes::handler_error, e.what(), &request), true};
  } catch (...) {
    return {error_record(codes::handler_error, "handler threw a non-standard exception", &request), true};
  }
}

}  // namespace crous::server::detail
