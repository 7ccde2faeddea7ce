// A service embedding crous::server, built against an installed crous by
// proto-tests/consumers/run-consumer.sh (find_package(crous COMPONENTS server
// client), and pkg-config crous-server crous-client): a route of its own on
// an ephemeral port, called through crous::client, then a graceful shutdown.
// Exits 1 on a wrong answer.
#include <chrono>
#include <cstdio>
#include <exception>

#include "crous/client/client.hpp"
#include "crous/server/server.hpp"

int main() {
  try {
    crous::server::Options options;
    options.port = 0;
    options.threads = 1;
    options.workers = 1;
    crous::server::Server server(options);
    server.router().add("greet", [](const crous::Value& request) {
      return crous::Value(crous::Dict{{"greeting", "hello, " + request["name"].as_string()}});
    });
    server.start();

    crous::client::Client client;
    client.connect("127.0.0.1", server.port(), std::chrono::seconds(10));
    const crous::Value answer = client.call(crous::Dict{{"op", "greet"}, {"name", "Ada"}});
    client.close();
    server.shutdown();
    server.wait();

    const crous::Value expected = crous::Dict{{"greeting", "hello, Ada"}};
    if (answer != expected) {
      std::fprintf(stderr, "greet: unexpected answer\n");
      return 1;
    }
    std::printf("service consumer ok\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "service consumer failed: %s\n", e.what());
    return 1;
  }
}
