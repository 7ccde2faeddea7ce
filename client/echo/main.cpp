// crous-echo: sends records to a crous-server and prints the responses.
// See echo_options.cpp for the command line, docs/client.md for examples.
#include <cstdio>
#include <iostream>
#include <vector>

#include "bench.hpp"
#include "crous/client/client.hpp"
#include "crous/error.hpp"
#include "echo_options.hpp"
#include "record_input.hpp"
#include "record_output.hpp"

namespace {

using namespace crous;
using namespace crous::echo;

enum Exit { ok = 0, error_response = 1, bad_input = 2, connection_failed = 3 };

// All records go out in one pipelined flush; responses print as they are read.
// With --reconnect a request that was not answered (or could not be sent
// after a reconnect gave up) is reported on stderr and the others go on.
int run_calls(const EchoOptions& options, const std::vector<Value>& records) {
  client::Client connection(client_options(options));
  connection.connect(options.host, options.port);
  warn_if_declined(options, connection.compression());
  for (const auto& record : records) connection.send(record, call_options(options));
  connection.flush();
  int status = ok;
  for (std::size_t i = 0; i < records.size(); ++i) {
    Value response;
    try {
      response = connection.receive_record();
    } catch (const client::ClientError& e) {
      // Without the policy, or when the client forgot the requests after
      // this one (a refused TLS session closes it for good), the failure
      // ends the run.
      if (!options.reconnect.enabled || connection.outstanding() != records.size() - i - 1) throw;
      std::fprintf(stderr, "crous-echo: record %zu: %s\n", i + 1, e.what());
      status = connection_failed;
      continue;
    }
    if (client::server_error_in(response) && status == ok) status = error_response;
    if (!options.quiet) print_response(response, options.format, std::cout);
  }
  std::cout.flush();
  return status;
}

int run(int argc, char** argv) {
  const auto options = parse_echo_args(argc, argv);
  if (!options) return ok;
  if (!options->tls.verify_peer) {
    std::fputs("crous-echo: warning: --insecure: the server's certificate is not verified; anyone on the path "
               "can pose as the server\n",
               stderr);
  }
  const auto records = load_records(*options, std::cin);
  if (options->count) return run_bench(*options, records.front(), std::cout);
  return run_calls(*options, records);
}

}  // namespace

int main(int argc, char** argv) {
  try {
    return run(argc, argv);
  } catch (const echo::UsageError& e) {
    std::fprintf(stderr, "crous-echo: %s\n(crous-echo --help shows the usage)\n", e.what());
  } catch (const InputError& e) {
    std::fprintf(stderr, "crous-echo: %s\n", e.what());
  } catch (const DecodeError& e) {
    std::fprintf(stderr, "crous-echo: bad input: %s\n", e.what());
  } catch (const client::ClientError& e) {
    std::fprintf(stderr, "crous-echo: %s\n", e.what());
    // An unusable TLS file is a mistake in what was given, like bad input.
    return e.code() == client::ClientErrc::tls_config ? bad_input : connection_failed;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "crous-echo: %s\n", e.what());
  }
  return bad_input;
}
