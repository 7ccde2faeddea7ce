#include "reconnector.hpp"

#include <algorithm>
#include <string_view>
#include <utility>

#include "crous/flux.hpp"

namespace crous::client::detail {

namespace {

// A ClientError's text without the "code: " that what() starts with, to
// quote it after another code.
std::string_view reason(const ClientError& error) {
  std::string_view text = error.what();
  const std::string_view code = to_string(error.code());
  if (text.starts_with(code) && text.substr(code.size()).starts_with(": ")) text.remove_prefix(code.size() + 2);
  return text;
}

}  // namespace

Reconnector::Reconnector(const ReconnectPolicy& policy) : policy_(policy), random_(std::random_device{}()) {}

OutgoingRequest Reconnector::prepare(const Value& request, const CallOptions& options) const {
  OutgoingRequest outgoing;
  outgoing.idempotent = options.idempotent;
  if (policy_.enabled) encode_flux(request, outgoing.flux);
  return outgoing;
}

void Reconnector::hand_over(OutgoingRequest& request, RequestBuffer& outbox) {
  if (!request.flux.empty()) outbox.append_encoded(request.flux);
  if (request.resends != 0) resent_.fetch_add(1, std::memory_order_relaxed);
  request.written = true;
  if (!request.idempotent) Bytes().swap(request.flux);
}

std::optional<ClientError> Reconnector::after_loss(OutgoingRequest& request, const ClientError& cause) {
  if (!request.written) return std::nullopt;
  if (request.idempotent && request.resends < policy_.max_resends) {
    request.written = false;
    ++request.resends;
    return std::nullopt;
  }
  not_answered_.fetch_add(1, std::memory_order_relaxed);
  return ClientError(ClientErrc::not_answered,
                     "the request was sent but the connection ended before its response arrived, so it may or may "
                     "not have been processed (" + std::string(cause.what()) + ")");
}

ClientError Reconnector::after_give_up(const OutgoingRequest& request, const ClientError& gave_up) {
  if (request.resends == 0) return gave_up;
  not_answered_.fetch_add(1, std::memory_order_relaxed);
  return ClientError(ClientErrc::not_answered,
                     "the request was sent, the connection ended before its response arrived and resending it "
                     "failed, so it may or may not have been processed (" + std::string(gave_up.what()) + ")");
}

bool Reconnector::ends_connection(const Value& response) const {
  if (!policy_.enabled) return false;
  const auto error = server_error_in(response);
  return error && error->code() == "shutting_down";
}

ClientError Reconnector::closed_by_server(const Value& response, const std::string& peer) const {
  const auto error = server_error_in(response);
  return ClientError(ClientErrc::connection_closed,
                     peer + " closed the connection: " + (error ? error->message() : std::string("shutting down")));
}

void Reconnector::begin() {
  attempts_ = 0;
  started_ = Clock::now();
}

std::optional<std::chrono::milliseconds> Reconnector::next_wait(const ClientError& failure) {
  ++attempts_;
  if (attempts_ >= policy_.max_attempts || failure.code() == ClientErrc::tls_config) return std::nullopt;
  // initial_backoff doubled once per attempt after the first, up to max_backoff.
  std::chrono::milliseconds full = std::max(policy_.initial_backoff, std::chrono::milliseconds(1));
  for (unsigned i = 1; i < attempts_ && full < policy_.max_backoff; ++i) full *= 2;
  full = std::min(full, std::max(policy_.max_backoff, std::chrono::milliseconds(1)));
  std::uniform_int_distribution<std::chrono::milliseconds::rep> jitter(full.count() / 2, full.count());
  return std::chrono::milliseconds(jitter(random_));
}

ClientError Reconnector::gave_up(const ClientError& last, const std::string& peer) const {
  const auto took = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - started_);
  return ClientError(last.code(), "gave up reconnecting to " + peer + " after " + std::to_string(attempts_) +
                                      " attempt(s) in " + std::to_string(took.count()) +
                                      " ms; the last one failed: " + std::string(reason(last)));
}

ReconnectStats Reconnector::stats() const noexcept {
  return {.lost = lost_.load(std::memory_order_relaxed),
          .reconnects = reconnects_.load(std::memory_order_relaxed),
          .resent = resent_.load(std::memory_order_relaxed),
          .not_answered = not_answered_.load(std::memory_order_relaxed)};
}

}  // namespace crous::client::detail
