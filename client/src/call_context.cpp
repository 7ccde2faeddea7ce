#include "crous/client/call_context.hpp"

#include <algorithm>
#include <exception>

namespace crous::client {

std::string_view to_string(CancelReason reason) noexcept {
  switch (reason) {
    case CancelReason::none: return "none";
    case CancelReason::deadline: return "deadline";
    case CancelReason::disconnected: return "disconnected";
    case CancelReason::shutdown: return "shutdown";
    case CancelReason::requested: return "requested";
  }
  return "unknown";
}

std::chrono::milliseconds CallContext::remaining(clock::time_point now) const noexcept {
  if (!has_deadline()) return std::chrono::milliseconds::max();
  if (now >= deadline_) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(deadline_ - now);
}

void CallContext::cancel(CancelReason reason) {
  if (cancelled()) return;
  reason_ = reason == CancelReason::none ? CancelReason::requested : reason;
  // One at a time, each taken out before it runs: a callback may drop
  // registrations (its own or others'), and one dropped must not run (what
  // it captured may be gone, e.g. a Pool call the first callback finished).
  std::exception_ptr first_failure;
  while (!callbacks_.empty()) {
    Callback callback = std::move(callbacks_.front());
    callbacks_.erase(callbacks_.begin());
    try {
      callback.run();
    } catch (...) {
      if (!first_failure) first_failure = std::current_exception();
    }
  }
  if (first_failure) std::rethrow_exception(first_failure);
}

CallContext::Registration CallContext::on_cancel(std::function<void()> callback) {
  if (cancelled()) {
    callback();
    return {};
  }
  const std::uint64_t id = next_id_++;
  callbacks_.push_back({id, std::move(callback)});
  return Registration(this, id);
}

CallContext::Registration& CallContext::Registration::operator=(Registration&& other) noexcept {
  if (this != &other) {
    reset();
    context_ = std::exchange(other.context_, nullptr);
    id_ = std::exchange(other.id_, 0);
  }
  return *this;
}

void CallContext::Registration::reset() noexcept {
  if (!context_) return;
  auto& callbacks = context_->callbacks_;
  const std::uint64_t id = id_;
  callbacks.erase(std::remove_if(callbacks.begin(), callbacks.end(), [id](const Callback& c) { return c.id == id; }),
                  callbacks.end());
  context_ = nullptr;
}

}  // namespace crous::client
