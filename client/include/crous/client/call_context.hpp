#pragma once
// What the calls made for one piece of work share: a deadline and a
// cancellation signal. A Pool call made with a context inherits both: it
// sends the time left as the request's "deadline_ms", gives up when the
// deadline passes, and ends at once when the context is cancelled
// (docs/client.md, "Pool").
//
// Inside a server's async handler the context is the handler's
// crous::server::RequestContext (a CallContext): the server sets its
// deadline from the request and cancels it when the deadline passes or the
// client disconnects. Standalone:
//
//   crous::client::CallContext work(std::chrono::milliseconds(200));   // 200 ms from now
//   crous::Value a = co_await pool.async_call(request, work, asio::use_awaitable);
//   ... work.cancel();   // from the same thread: every call still waiting on it fails with `cancelled`
//
// Not thread-safe: a context, its callbacks and the calls made with it
// belong to one thread (the I/O thread of the handler or of the Pool).
#include <chrono>
#include <cstdint>
#include <functional>
#include <string_view>
#include <utility>
#include <vector>

namespace crous::client {

// The request field carrying a deadline: milliseconds left, an int
// (docs/protocol.md, "Deadlines").
inline constexpr std::string_view deadline_field = "deadline_ms";

enum class CancelReason : std::uint8_t {
  none,          // not cancelled
  deadline,      // the deadline passed
  disconnected,  // the client the work was for went away
  shutdown,      // the server's drain deadline passed
  requested,     // cancel() was called for another reason
};

// "none", "deadline", "disconnected", "shutdown", "requested".
std::string_view to_string(CancelReason reason) noexcept;

class CallContext {
 public:
  using clock = std::chrono::steady_clock;
  static constexpr clock::time_point no_deadline = clock::time_point::max();

  CallContext() = default;
  explicit CallContext(clock::time_point deadline) : deadline_(deadline) {}
  explicit CallContext(std::chrono::milliseconds time_left) : deadline_(clock::now() + time_left) {}
  // Callbacks registered with a context point at it.
  CallContext(const CallContext&) = delete;
  CallContext& operator=(const CallContext&) = delete;

  clock::time_point deadline() const noexcept { return deadline_; }
  bool has_deadline() const noexcept { return deadline_ != no_deadline; }
  // Time left before the deadline, zero once it passed (milliseconds::max()
  // without a deadline).
  std::chrono::milliseconds remaining(clock::time_point now = clock::now()) const noexcept;
  // Moves the deadline (earlier or later) for calls made from now on.
  void set_deadline(clock::time_point deadline) noexcept { deadline_ = deadline; }

  bool cancelled() const noexcept { return reason_ != CancelReason::none; }
  CancelReason cancel_reason() const noexcept { return reason_; }

  // Cancels: runs every registered callback once, in registration order.
  // Later calls do nothing (the first reason stays). Callbacks should not
  // throw; if one does, the others still run and the first exception is
  // rethrown after them.
  void cancel(CancelReason reason = CancelReason::requested);

  // Unregisters its callback when destroyed (or reset()). Must not outlive
  // its context.
  class Registration {
   public:
    Registration() = default;
    Registration(Registration&& other) noexcept { *this = std::move(other); }
    Registration& operator=(Registration&& other) noexcept;
    ~Registration() { reset(); }
    void reset() noexcept;

   private:
    friend class CallContext;
    Registration(CallContext* context, std::uint64_t id) : context_(context), id_(id) {}
    CallContext* context_ = nullptr;
    std::uint64_t id_ = 0;
  };

  // Calls `callback` when the context is cancelled (at once, returning an
  // empty registration, if it already is). The callback runs inside
  // cancel(): it should only start what ends the wait it stands for (close
  // a socket, cancel a timer), not resume work itself.
  [[nodiscard]] Registration on_cancel(std::function<void()> callback);

 private:
  struct Callback {
    std::uint64_t id;
    std::function<void()> run;
  };

  clock::time_point deadline_ = no_deadline;
  CancelReason reason_ = CancelReason::none;
  std::uint64_t next_id_ = 1;
  std::vector<Callback> callbacks_;  // few per context: a linear list
};

}  // namespace crous::client
