#pragma once
// What the reconnect tests share: a call's outcome (its response or its
// ClientError), the in-process server restarted on the ports it had, and an
// AsyncClient on an I/O thread of its own, driven with futures so that a
// test can restart servers while calls are in flight. Every wait is bounded.
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <gtest/gtest.h>

#include <chrono>
#include <cstdint>
#include <exception>
#include <future>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>

#include "crous/client/async_client.hpp"
#include "crous/client/error.hpp"
#include "test_server.hpp"

namespace crous::test {

// What one call came to: a response (error records included, as values),
// or the ClientError it failed with.
struct Outcome {
  std::optional<Value> response;
  std::optional<client::ClientError> error;
};

template <class Call>
Outcome attempt(Call&& call) {
  try {
    return {call(), std::nullopt};
  } catch (const client::ClientError& e) {
    return {std::nullopt, e};
  } catch (const client::ServerError& e) {
    return {Value(Dict{{"error", Dict{{"code", e.code()}, {"message", e.message()}}}}), std::nullopt};
  }
}

// The in-process server, stopped and started again on the ports it had
// (plain, and TLS when the tweak turns it on): what a client sees when its
// server is replaced. Stopping drains: idle connections are closed.
class RestartableServer {
 public:
  explicit RestartableServer(TestServer::Tweak tweak = {})
      : tweak_(std::move(tweak)), server_(std::make_unique<TestServer>(tweak_)) {
    port_ = server_->port();
    tls_port_ = server_->tls_port();
  }
  unsigned short port() const noexcept { return port_; }
  unsigned short tls_port() const noexcept { return tls_port_; }
  void stop() { server_.reset(); }
  void start() {
    server_ = std::make_unique<TestServer>([this](server::Options& o) {
      if (tweak_) tweak_(o);
      o.port = port_;
      if (o.tls_port) o.tls_port = tls_port_;
    });
  }
  void restart() {
    stop();
    start();
  }

 private:
  TestServer::Tweak tweak_;
  std::unique_ptr<TestServer> server_;
  unsigned short port_ = 0;
  unsigned short tls_port_ = 0;
};

// An AsyncClient whose io_context runs on a thread of its own (bounded by
// run_for); calls return futures. The client is declared after the thread,
// so it is destroyed (closed) first and the thread then runs out of work.
class AsyncRig {
 public:
  explicit AsyncRig(const client::Options& options)
      : work_(boost::asio::make_work_guard(io_)),
        thread_([this] { io_.run_for(std::chrono::seconds(120)); }),
        client(io_.get_executor(), options) {}
  ~AsyncRig() {
    client.close();
    work_.reset();
  }

  void connect(unsigned short port) {
    auto promise = std::make_shared<std::promise<void>>();
    auto connected = promise->get_future();
    client.async_connect("127.0.0.1", port, [promise](std::exception_ptr error) {
      if (error) promise->set_exception(error);
      else promise->set_value();
    });
    ASSERT_EQ(connected.wait_for(std::chrono::seconds(30)), std::future_status::ready);
    connected.get();
  }
  // (asio::use_future cannot be used: its handlers' executor is not an
  // any_io_executor, which the client's completions need.)
  std::future<Value> call(const Value& request, client::CallOptions options = {}) {
    auto promise = std::make_shared<std::promise<Value>>();
    auto answer = promise->get_future();
    client.async_call(request, options, [promise](std::exception_ptr error, Value response) {
      if (error) promise->set_exception(error);
      else promise->set_value(std::move(response));
    });
    return answer;
  }
  // The call's outcome, waiting at most 60 s for it.
  static Outcome outcome(std::future<Value>&& call) { return outcome(call); }
  static Outcome outcome(std::future<Value>& call) {
    if (call.wait_for(std::chrono::seconds(60)) != std::future_status::ready) {
      ADD_FAILURE() << "a call had no outcome within 60 s";
      return {std::nullopt, client::ClientError(client::ClientErrc::timeout, "test: no outcome")};
    }
    return attempt([&] { return call.get(); });
  }
  // Waits (at most 30 s) until the client has seen `count` connections end:
  // a call made after this finds the connection lost.
  void wait_until_lost(std::uint64_t count) {
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
    while (client.reconnect_stats().lost < count) {
      if (std::chrono::steady_clock::now() > deadline) {
        ADD_FAILURE() << "the client did not notice the connection end";
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_;
  std::jthread thread_;

 public:
  client::AsyncClient client;
};

}  // namespace crous::test
