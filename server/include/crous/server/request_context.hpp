#pragma once
// What an async handler knows about the request it serves besides the
// record: where it runs, its deadline, and whether it was cancelled.
//
//   server.router().add_async("checkout",
//       [&](const crous::Value& request, crous::server::RequestContext& ctx) -> boost::asio::awaitable<crous::Value> {
//         crous::client::Pool& inventory = *inventory_pools[ctx.io_thread()];
//         crous::Value ask = crous::Dict{{"op", "reserve"}, {"sku", request["sku"]}};
//         crous::Value reserved = co_await inventory.async_call(std::move(ask), ctx, boost::asio::use_awaitable);
//         co_return crous::Dict{{"reserved", reserved["count"]}};
//       });
//
// A RequestContext is a crous::client::CallContext: Pool calls made with it
// inherit the deadline (sent downstream as "deadline_ms") and end at once,
// with an exception, when the server cancels the request:
//   - its deadline passes (the request's "deadline_ms" or the route's
//     timeout, whichever is earlier; cancel_reason() deadline). The client
//     has been answered deadline_exceeded / handler_timeout by then;
//   - its client disconnects (disconnected), or the drain deadline passes
//     at shutdown (shutdown). Nothing is written for it.
// A handler waiting on something of its own (a timer, another library)
// registers with on_cancel() to end that wait too; whatever it returns
// after a cancellation is dropped.
//
// Lives until the handler has finished; used only on the I/O thread the
// handler runs on (get_executor()).
#include <cstddef>

#include <boost/asio/any_io_executor.hpp>

#include "crous/client/call_context.hpp"

namespace crous::server {

class RequestContext : public client::CallContext {
 public:
  using executor_type = boost::asio::any_io_executor;

  // Made by the server for each async request; also usable to call a
  // handler directly (tests), with any executor and deadline.
  RequestContext(executor_type executor, std::size_t io_thread, clock::time_point deadline = no_deadline)
      : CallContext(deadline), executor_(std::move(executor)), io_thread_(io_thread) {}

  // The I/O thread's executor: timers, sockets and Pools of this thread.
  const executor_type& get_executor() const noexcept { return executor_; }
  // Which I/O thread, 0 .. io_threads - 1, in the order of
  // Server::io_executors(): the index of this thread's own resources.
  std::size_t io_thread() const noexcept { return io_thread_; }

 private:
  executor_type executor_;
  std::size_t io_thread_;
};

}  // namespace crous::server
