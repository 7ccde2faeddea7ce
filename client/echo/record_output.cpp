#include "record_output.hpp"

#include <string>

#include "crous/crout.hpp"
#include "crous/flux.hpp"
#include "crous/json/mapping.hpp"  // the JSON mapping the crous CLI uses

namespace crous::echo {

void print_response(const Value& response, json::Format format, std::ostream& out) {
  switch (format) {
    case json::Format::crout: {
      const std::string text = to_crout(response, CroutStyle::pretty);
      out << text;
      if (!text.ends_with('\n')) out << '\n';
      break;
    }
    case json::Format::json:
      out << json::to_json(response).dump() << '\n';
      break;
    case json::Format::flux: {
      const Bytes record = encode_flux(response);
      out.write(reinterpret_cast<const char*>(record.data()), static_cast<std::streamsize>(record.size()));
      break;
    }
  }
}

}  // namespace crous::echo
