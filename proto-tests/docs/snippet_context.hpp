#pragma once
// What the documentation's C++ snippets take as given: the prose around them
// says "records", "io", "request" and means things like these. Everything a
// snippet shows being made, it makes itself; only the surroundings are here.
#include <chrono>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>  // before asio/awaitable.hpp, which uses std::exchange without it (Boost 1.74)
#include <vector>

#include <boost/asio/awaitable.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "crous/client/pool.hpp"
#include "crous/config/server_config.hpp"
#include "crous/crous.hpp"
#include "crous/server/request_context.hpp"
#include "crous/server/server.hpp"

namespace asio = boost::asio;
using namespace std::chrono_literals;

namespace crous_docs {

// Called by every generated page once, with the number of snippets compiled
// from it (snippets_main.cpp checks them).
bool register_page(const char* page, int snippets);

inline std::vector<crous::Value> records;
inline crous::Value request = crous::Dict{{"op", "echo"}};
inline asio::io_context io;
inline int fd = -1;
inline crous::Bytes bytes;
inline crous::Limits limits;
inline crous::ByteView chunk;
inline std::vector<crous::Value> items;
inline void handle(const crous::Value&) {}
inline crous::Value user;
inline crous::Value record_a;
inline crous::Value record_b;
inline crous::Bytes output_bytes;
inline crous::MemoryOutputStream out(output_bytes);
inline crous::Bytes input_bytes;
inline crous::MemoryInputStream in(input_bytes);
inline crous::config::ServerConfig options;
inline crous::Value count_primes(const crous::Value& request) { return request; }
inline crous::server::Server server;
// One Pool per I/O thread to an inventory service (docs/server.md, *Async handlers*).
inline std::vector<std::unique_ptr<crous::client::Pool>> inventory;
// The context of the request an async handler's snippet serves.
inline crous::server::RequestContext ctx{io.get_executor(), 0};
// An async handler (a coroutine) for the snippets that register one.
inline asio::awaitable<crous::Value> checkout(crous::Value& request, crous::server::RequestContext&) {
  co_return request;
}

}  // namespace crous_docs
