#include "record_output.hpp"

#include <string>

#include "crous/crout.hpp"
#include "crous/flux.hpp"
#include "json_mapping.hpp"  // tools/json: the JSON mapping the crous CLI uses

namespace crous::echo {

void print_response(const Value& response, OutputFormat format, std::ostream& out) {
  switch (format) {
    case OutputFormat::crout: {
      const std::string text = to_crout(response, CroutStyle::pretty);
      out << text;
      if (!text.ends_with('\n')) out << '\n';
      break;
    }
    case OutputFormat::json:
      out << cli::to_json(response).dump() << '\n';
      break;
    case OutputFormat::flux: {
      const Bytes record = encode_flux(response);
      out.write(reinterpret_cast<const char*>(record.data()), static_cast<std::streamsize>(record.size()));
      break;
    }
  }
}

}  // namespace crous::echo
