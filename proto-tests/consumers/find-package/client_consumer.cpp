// A crous::client user built against an installed crous
// (find_package(crous REQUIRED COMPONENTS client)). Talks to the crous-server
// at argv[1]:argv[2]: a ping and an echo on the synchronous client over LZ4,
// then a ping on the asynchronous one (Boost.Asio, reached through
// crous::client's usage requirements). Exits 1 on any wrong answer.
#include <chrono>
#include <cstdio>
#include <exception>
#include <string>

#include <boost/asio/io_context.hpp>

#include "crous/client/async_client.hpp"
#include "crous/client/client.hpp"
#include "crous/crout.hpp"

namespace {

bool expect(const char* what, const crous::Value& expected, const crous::Value& got) {
  if (expected == got) return true;
  std::fprintf(stderr, "%s: expected %s, got %s\n", what, crous::to_crout(expected).c_str(), crous::to_crout(got).c_str());
  return false;
}

const crous::Value pong = crous::Dict{{"pong", true}};

bool synchronous(const std::string& host, unsigned short port) {
  crous::client::Client client({.compression = crous::client::Compression::lz4});
  client.connect(host, port, std::chrono::seconds(10));
  if (client.compression() != crous::client::Compression::lz4) {
    std::fprintf(stderr, "the server did not agree to LZ4\n");
    return false;
  }
  bool ok = expect("ping", pong, client.call(crous::Dict{{"op", "ping"}}));
  const crous::Value request = crous::Dict{{"op", "echo"}, {"items", crous::List{1, "two", 3.5}}};
  ok = expect("echo", request, client.call(request)) && ok;
  return ok;
}

bool asynchronous(const std::string& host, unsigned short port) {
  boost::asio::io_context io;
  crous::client::AsyncClient client(io.get_executor());
  std::exception_ptr failure;
  crous::Value answer;
  client.async_connect(host, port, [&](std::exception_ptr error) {
    if (error) {
      failure = error;
      return;
    }
    client.async_call(crous::Dict{{"op", "ping"}}, [&](std::exception_ptr call_error, crous::Value response) {
      failure = call_error;
      answer = std::move(response);
    });
  });
  io.run_for(std::chrono::seconds(20));  // bounded; the client's own timeouts are shorter
  if (failure) std::rethrow_exception(failure);
  return expect("async ping", pong, answer);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 3) {
    std::fprintf(stderr, "usage: %s HOST PORT\n", argv[0]);
    return 2;
  }
  try {
    const std::string host = argv[1];
    const auto port = static_cast<unsigned short>(std::stoi(argv[2]));
    const bool ok = synchronous(host, port) && asynchronous(host, port);
    if (!ok) return 1;
    std::printf("client consumer ok\n");
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "client consumer failed: %s\n", e.what());
    return 1;
  }
}
