#include "dispatch.hpp"

#include "crous/flux.hpp"
#include "crous/server/error_record.hpp"

namespace crous::server::detail {

HandlerOutcome call_handler(const Route& route, const Value& request) {
  try {
    return {route.handler(request), false};
  } catch (...) {
    return {error_for(std::current_exception(), request), true};
  }
}

Value error_for(std::exception_ptr error, const Value& request) {
  try {
    std::rethrow_exception(std::move(error));
  } catch (const HandlerError& e) {
    return error_record(e.code(), e.what(), &request);
  } catch (const std::exception& e) {
    return error_record(codes::handler_error, e.what(), &request);
  } catch (...) {
    return error_record(codes::handler_error, "handler threw a non-standard exception", &request);
  }
}

bool encode_response(const Value& response, const Value& request, Bytes& out) {
  const std::size_t before = out.size();
  try {
    encode_flux(response, out);
    return true;
  } catch (const std::exception& e) {
    out.resize(before);
    encode_flux(error_record(codes::handler_error, std::string("response cannot be encoded: ") + e.what(), &request),
                out);
    return false;
  }
}

}  // namespace crous::server::detail
