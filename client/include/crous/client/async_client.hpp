#pragma once
// Asynchronous crous client on Boost.Asio. Any number of calls may be in
// flight on one connection; requests are written in call order (batched into
// as few writes as possible) and responses are matched to calls in order.
//
// Completion signatures follow co_spawn's convention, so the same calls work
// with callbacks and with C++20 coroutines:
//   async_connect: void(std::exception_ptr)
//   async_call:    void(std::exception_ptr, crous::Value)
// The exception is a ServerError (error record; the connection stays usable)
// or a ClientError (transport failure; every call in flight fails with it and
// the client is closed).
//
//   crous::client::AsyncClient client(io.get_executor());
//   co_await client.async_connect("127.0.0.1", 7878, asio::use_awaitable);
//   crous::Value ping = crous::Dict{{"op", "ping"}};   // not inside the co_await: g++ 12 rejects
//   crous::Value pong = co_await client.async_call(std::move(ping), asio::use_awaitable);  // braced temporaries there
//
//   client.async_call(request, [](std::exception_ptr error, crous::Value response) { ... });
//
// Handlers run on their associated executor (by default the client's). The
// client is safe to use from several threads; its state lives on a strand.
// Each call must be answered within Options::timeout of being made.
// With Options::reconnect.enabled a connection the server closed is replaced
// for the calls still to be written (reconnect.hpp, docs/client.md): a call
// written on the lost connection and not answered fails with
// ClientErrc::not_answered, unless made idempotent (CallOptions), then it is
// written again on the new connection; calls not written yet simply go out
// on the new connection.
// With Options::tls.enabled the connection is TLS (docs/client.md, "TLS");
// with Options::compression = lz4 the records travel LZ4-compressed when the
// server agrees ("Compression").
#include <exception>
#include <memory>
#include <string>
#include <utility>

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>

#include "crous/client/error.hpp"
#include "crous/client/options.hpp"
#include "crous/value.hpp"

namespace crous::client {

namespace detail {

class AsyncConnection;

// A type-erased, move-only completion handler.
class Completion {
 public:
  virtual ~Completion() = default;
  virtual void complete(std::exception_ptr error, Value response) = 0;
};

// Keeps the handler's executor busy while the operation is outstanding and
// posts the handler there on completion (never invoked inline).
template <class Handler, bool with_value>
class HandlerCompletion final : public Completion {
 public:
  HandlerCompletion(Handler handler, const boost::asio::any_io_executor& fallback)
      : work_(boost::asio::prefer(boost::asio::any_io_executor(boost::asio::get_associated_executor(handler, fallback)),
                                  boost::asio::execution::outstanding_work.tracked)),
        handler_(std::move(handler)) {}

  void complete(std::exception_ptr error, Value response) override {
    boost::asio::post(work_, [handler = std::move(handler_), error, response = std::move(response)]() mutable {
      if constexpr (with_value) {
        handler(error, std::move(response));
      } else {
        handler(error);
      }
    });
  }

 private:
  boost::asio::any_io_executor work_;
  Handler handler_;
};

}  // namespace detail

class AsyncClient {
 public:
  using executor_type = boost::asio::any_io_executor;

  explicit AsyncClient(const executor_type& executor, Options options = {});
  // Closes the connection; calls still in flight fail with not_connected.
  ~AsyncClient();
  AsyncClient(const AsyncClient&) = delete;
  AsyncClient& operator=(const AsyncClient&) = delete;

  executor_type get_executor() const noexcept { return executor_; }

  // What the server chose in the hello: lz4 or none (none also without a
  // hello, and until async_connect has completed). Safe from any thread.
  Compression compression() const noexcept;

  // Resolves and connects, then over TLS shakes hands, then with
  // Options::compression exchanges the compression hello, all within
  // Options::connect_timeout. Once per client. Fails with the ClientErrors
  // of Client::connect. A TLS 1.3 server refusing the client certificate is
  // noticed at the first read (the hello's, which fails this): without a
  // hello only after this completed, and calls then fail with
  // tls_handshake_failed (whether made before or after the refusal arrived).
  template <class Token>
  auto async_connect(std::string host, unsigned short port, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::exception_ptr)>(
        [this](auto handler, std::string host, unsigned short port) {
          start_connect(std::move(host), port, wrap<false>(std::move(handler)));
        },
        token, std::move(host), port);
  }

  // Sends `request`; completes with its response.
  template <class Token>
  auto async_call(Value request, Token&& token) {
    return async_call(std::move(request), CallOptions{}, std::forward<Token>(token));
  }

  // The same, with per-call options: async_call(request, {.idempotent = true}, token).
  template <class Token>
  auto async_call(Value request, CallOptions options, Token&& token) {
    return boost::asio::async_initiate<Token, void(std::exception_ptr, Value)>(
        [this](auto handler, Value request, CallOptions options) {
          start_call(std::move(request), options, wrap<true>(std::move(handler)));
        },
        token, std::move(request), options);
  }

  // What the reconnect policy did so far (all zero with it off). Safe from
  // any thread.
  ReconnectStats reconnect_stats() const noexcept;

  // Closes the connection (and ends a reconnect in progress); calls in
  // flight fail with ClientErrc::not_connected.
  // Over TLS (no write in flight) close_notify goes first; the socket closes
  // when the server answers with its own, or after at most 100 ms.
  void close();

 private:
  template <bool with_value, class Handler>
  std::unique_ptr<detail::Completion> wrap(Handler handler) const {
    return std::make_unique<detail::HandlerCompletion<Handler, with_value>>(std::move(handler), executor_);
  }
  void start_connect(std::string host, unsigned short port, std::unique_ptr<detail::Completion> completion);
  void start_call(Value request, CallOptions options, std::unique_ptr<detail::Completion> completion);

  executor_type executor_;
  std::shared_ptr<detail::AsyncConnection> connection_;
};

}  // namespace crous::client
