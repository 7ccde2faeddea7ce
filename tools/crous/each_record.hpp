#pragma once
// The loop every command runs over the records of its INPUT, with a bad
// record reported in the documented form (docs/cli.md, "Exit status").
#include <string>

#include "crous/json/record_source.hpp"

namespace crous::cli {

// A CliError(exit_invalid_data): "INPUT: record N: CODE at byte OFFSET: message".
[[noreturn]] void fail_record(const json::RecordSource& source, const DecodeError& error, const std::string& input_name);

// Calls f() for every record; a bad record becomes a CliError naming the
// input, the record number and the byte offset.
template <class F>
void for_each_record(json::RecordSource& source, const std::string& input_name, F f) {
  try {
    while (source.next()) f();
  } catch (const DecodeError& e) {
    fail_record(source, e, input_name);
  }
}

}  // namespace crous::cli
