// A tiny service built on crous::server: one inline handler, one offloaded,
// and two metrics of its own next to the server's.
//
//   build/bin/crous-example-service --port 7979 --metrics-port 9479
//   request {"op": "greet", "name": "Ada"}        -> {"greeting": "hello, Ada"}
//   request {"op": "count_primes", "below": 1e6}  -> {"below": 1000000, "primes": 78498}
//   curl -s http://127.0.0.1:9479/metrics | grep example_
//
// It takes the same flags, CROUS_* variables and config file as crous-server.
#include <prometheus/counter.h>
#include <prometheus/registry.h>

#include <cstdint>
#include <vector>

#include "crous/server/error_record.hpp"
#include "crous/server/server.hpp"
#include "example_main.hpp"

namespace {

// Cheap and non-blocking: fine on the I/O thread.
crous::Value greet(const crous::Value& request) {
  const crous::Value* name = request.find("name");
  if (!name || !name->is_string()) throw crous::server::HandlerError("bad_request", "greet needs a string 'name'");
  return crous::Dict{{"greeting", "hello, " + name->as_string()}};
}

// CPU-bound for large inputs: offloaded so one caller cannot stall the
// other connections of its I/O thread.
crous::Value count_primes(const crous::Value& request) {
  std::int64_t below = request["below"].as_int();  // a missing key or wrong kind -> handler_error
  if (below < 0 || below > 50'000'000) throw crous::server::HandlerError("bad_request", "below must be in [0, 5e7]");
  std::vector<bool> composite(static_cast<std::size_t>(below), false);
  std::int64_t count = 0;
  for (std::int64_t i = 2; i < below; ++i) {
    if (composite[static_cast<std::size_t>(i)]) continue;
    ++count;
    for (std::int64_t j = i * i; j < below; j += i) composite[static_cast<std::size_t>(j)] = true;
  }
  return crous::Dict{{"below", below}, {"primes", count}};
}

}  // namespace

int main(int argc, char** argv) {
  return crous::examples::example_main("example-service", {argv + 1, argv + argc}, [](crous::server::Server& server) {
    // The service's own metrics, in the server's registry: GET /metrics
    // serves them after the server's own when metrics_port is set. The
    // server already times every op (crous_request_duration_seconds{op}) and
    // counts errors by code; these count what only the service knows.
    auto& registry = server.metrics_registry();
    prometheus::Counter& greetings = prometheus::BuildCounter()
                                         .Name("example_greetings_total")
                                         .Help("Greetings sent (requests with a name)")
                                         .Register(registry)
                                         .Add({});
    prometheus::Counter& primes = prometheus::BuildCounter()
                                      .Name("example_primes_counted_total")
                                      .Help("Primes found by count_primes, summed over requests")
                                      .Register(registry)
                                      .Add({});
    // prometheus-cpp's counters are atomic: fine from the I/O and worker threads.
    server.router().add("greet", [&greetings](const crous::Value& request) {
      crous::Value response = greet(request);
      greetings.Increment();
      return response;
    });
    server.router().add_offloaded("count_primes", [&primes](const crous::Value& request) {
      crous::Value response = count_primes(request);
      primes.Increment(static_cast<double>(response["primes"].as_int()));
      return response;
    });
    server.run();  // until SIGINT/SIGTERM, then a graceful drain
  });
}
