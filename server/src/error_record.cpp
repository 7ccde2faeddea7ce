#include "crous/server/error_record.hpp"

namespace crous::server {

Value error_record(std::string_view code, std::string_view message, const Value* request) {
  Dict record;
  record.reserve(2);
  record.insert_or_assign("error", Dict{{"code", code}, {"message", message}});
  if (request && request->is_dict())
    if (const Value* id = request->find("id")) record.insert_or_assign("id", *id);
  return record;
}

}  // namespace crous::server
