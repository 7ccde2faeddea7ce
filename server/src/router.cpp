#include "crous/server/router.hpp"

#include <boost/asio/async_result.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <stdexcept>

namespace crous::server {

namespace asio = boost::asio;

namespace {

void check_timeout(const std::string& op, std::chrono::milliseconds timeout) {
  if (timeout.count() < 0) throw std::invalid_argument("timeout for op '" + op + "' is negative");
}

}  // namespace

Router& Router::add(std::string op, Handler handler) {
  return put({std::move(op), std::move(handler), Execution::inline_io});
}

Router& Router::add_offloaded(std::string op, Handler handler, std::chrono::milliseconds timeout) {
  check_timeout(op, timeout);
  return put({std::move(op), std::move(handler), Execution::offloaded, timeout});
}

Router& Router::add_async(std::string op, AsyncHandler handler, std::chrono::milliseconds timeout) {
  check_timeout(op, timeout);
  return put({std::move(op), {}, Execution::async, timeout, std::move(handler)});
}

Router& Router::add_async_callback(std::string op, CallbackHandler handler, std::chrono::milliseconds timeout) {
  if (!handler) throw std::invalid_argument("handler for op '" + op + "' is empty");
  // The route table outlives every request, so the coroutine may refer to
  // the handler it holds.
  AsyncHandler waiting = [handler = std::move(handler)](Value& request, RequestContext& ctx) -> asio::awaitable<Value> {
    // The handler runs inside the initiation, which Asio 1.18 calls from a
    // noexcept await_suspend: what it throws must not leave, or the process
    // terminates. Caught, it is the request's error; the Responder it was
    // given is destroyed unanswered meanwhile and completes the wait.
    std::exception_ptr thrown;
    Value response;
    try {
      response = co_await asio::async_initiate<const asio::use_awaitable_t<>&, void(std::exception_ptr, Value)>(
          [&](auto completion) {
            try {
              handler(request, ctx,
                      Responder(std::make_unique<client::detail::HandlerCompletion<decltype(completion), true>>(
                          std::move(completion), ctx.get_executor())));
            } catch (...) {
              thrown = std::current_exception();
            }
          },
          asio::use_awaitable);
    } catch (...) {
      if (!thrown) throw;
    }
    if (thrown) std::rethrow_exception(thrown);
    co_return response;
  };
  return add_async(std::move(op), std::move(waiting), timeout);
}

Router& Router::add_echo(std::string op) { return put({std::move(op), {}, Execution::echo}); }

Router& Router::put(Route route) {
  const bool has_handler =
      route.execution == Execution::echo ||
      (route.execution == Execution::async ? static_cast<bool>(route.async_handler) : static_cast<bool>(route.handler));
  if (!has_handler) throw std::invalid_argument("handler for op '" + route.op + "' is empty");
  for (Route& r : routes_)
    if (r.op == route.op) {
      r = std::move(route);
      return *this;
    }
  routes_.push_back(std::move(route));
  return *this;
}

const Route* Router::find(std::string_view op) const noexcept {
  for (const Route& r : routes_)
    if (r.op == op) return &r;
  return nullptr;
}

std::vector<std::string> Router::ops() const {
  std::vector<std::string> out;
  for (const Route& r : routes_) out.push_back(r.op);
  return out;
}

Responder& Responder::operator=(Responder&& other) noexcept {
  if (this != &other) {
    if (completion_) fail(std::make_exception_ptr(std::logic_error("a Responder was replaced before it answered")));
    completion_ = std::move(other.completion_);
  }
  return *this;
}

Responder::~Responder() {
  if (completion_)
    fail(std::make_exception_ptr(std::logic_error("the handler dropped its Responder without answering")));
}

void Responder::respond(Value response) {
  if (auto completion = std::move(completion_)) completion->complete(nullptr, std::move(response));
}

void Responder::fail(std::exception_ptr error) {
  if (auto completion = std::move(completion_)) completion->complete(std::move(error), {});
}

}  // namespace crous::server
