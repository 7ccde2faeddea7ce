#pragma once
// Turns crous-echo's inputs into records: CROUT or JSON text on the command
// line, @file and stdin holding FLUX, CROUT or JSON records.
#include <istream>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include "crous/stream.hpp"
#include "crous/value.hpp"
#include "echo_options.hpp"

namespace crous::echo {

// Input that cannot be read or parsed; the message names the input.
class InputError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// The records to send, in order (--op applied).
std::vector<Value> load_records(const EchoOptions& options, std::istream& in);

// One record written on the command line: JSON if it parses as JSON, else
// CROUT (the "CROUT1" header line may be left out).
Value parse_record_text(std::string_view text);

// Every record in a file or stream, in the format its first bytes say
// (json::detect_format): FLUX (or legacy CROU) records back to back; CROUT
// documents (each starting "CROUT1"); else JSON values separated by
// whitespace (JSON Lines included). Throws DecodeError for a bad record.
std::vector<Value> read_records(InputStream& in);

}  // namespace crous::echo
