#pragma once
// The loop every command runs over the records (or, with --items, the
// items) of its INPUT, with a bad one reported in the documented form
// (docs/cli.md, "Exit status").
#include <cstdint>
#include <string>

#include "crous/error.hpp"

namespace crous::cli {

// A CliError(exit_invalid_data): "INPUT: record N: CODE at byte OFFSET: message".
[[noreturn]] void fail_record(std::uint64_t record_index, const DecodeError& error, const std::string& input_name);

// Calls f() for every record of a json::RecordSource, or every item of a
// json::ItemSource; a bad one becomes a CliError naming the input, the
// record number and the byte offset (and the item, in the message).
template <class Source, class F>
void read_each(Source& source, const std::string& input_name, F f) {
  try {
    while (source.next()) f();
  } catch (const DecodeError& e) {
    fail_record(source.record_index(), e, input_name);
  }
}

}  // namespace crous::cli
