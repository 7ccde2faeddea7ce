#include "each_record.hpp"

#include "cli_error.hpp"

namespace crous::cli {

void fail_record(std::uint64_t record_index, const DecodeError& error, const std::string& input_name) {
  throw CliError(exit_invalid_data, input_name + ": record " + std::to_string(record_index) + ": " + error.what());
}

}  // namespace crous::cli
