#pragma once
// crous-echo --count N --pipeline K: the same record N times with K calls in
// flight on one connection, then throughput and latency percentiles.
#include <ostream>

#include "crous/value.hpp"
#include "echo_options.hpp"

namespace crous::echo {

// Returns the exit status: 0, or 1 if any response was an error record, or
// (with --reconnect) 3 if any request was not answered. Throws
// crous::client::ClientError when the connection fails (with --reconnect:
// when a reconnect gave up).
int run_bench(const EchoOptions& options, const Value& record, std::ostream& out);

}  // namespace crous::echo
