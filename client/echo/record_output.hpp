#pragma once
#include <ostream>

#include "crous/value.hpp"
#include "echo_options.hpp"

namespace crous::echo {

// Writes one response: pretty CROUT, one JSON value per line, or the FLUX
// record (so a run's output is itself a FLUX stream).
void print_response(const Value& response, json::Format format, std::ostream& out);

}  // namespace crous::echo
