#include "each_record.hpp"

#include "cli_error.hpp"

namespace crous::cli {

void fail_record(const json::RecordSource& source, const DecodeError& error, const std::string& input_name) {
  throw CliError(exit_invalid_data, input_name + ": record " + std::to_string(source.index()) + ": " + error.what());
}

}  // namespace crous::cli
