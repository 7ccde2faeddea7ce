#pragma once
// The reconnect policy (Options::reconnect, crous/client/reconnect.hpp) as
// both clients apply it, so that its rules live in one place: the pause
// before each connect attempt and when to give up, what becomes of each
// request a lost connection took with it, which record from the server
// ends a connection, and the counts. The clients keep their requests in
// their own queues (the sync client until receive() hands out an outcome,
// the async one until the completion runs) and ask this class at each step.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <optional>
#include <random>
#include <string>

#include "crous/client/error.hpp"
#include "crous/client/options.hpp"
#include "crous/value.hpp"
#include "request_buffer.hpp"

namespace crous::client::detail {

// What a client keeps of one request from the call until its outcome.
struct OutgoingRequest {
  // With the policy on, the encoded request while it may still be written:
  // until it is, and for an idempotent call until it is answered. Empty with
  // the policy off (the request went straight into the outbox).
  Bytes flux;
  bool idempotent = false;
  // Handed to a connection's write: from then on the server may have it.
  bool written = false;
  unsigned resends = 0;  // times written again on a new connection
};

class Reconnector {
 public:
  using Clock = std::chrono::steady_clock;

  explicit Reconnector(const ReconnectPolicy& policy);

  bool enabled() const noexcept { return policy_.enabled; }

  // A new request. With the policy on its encoding is kept in the result and
  // hand_over() writes it later, on whichever connection is open then; off,
  // nothing is kept and the caller encodes the request straight into its
  // outbox, as it always did.
  OutgoingRequest prepare(const Value& request, const CallOptions& options) const;

  // `request` is about to be written: appends its kept encoding (if any) to
  // `outbox`, marks it written, drops the copy unless an idempotent call may
  // need it again, and counts a resend.
  void hand_over(OutgoingRequest& request, RequestBuffer& outbox);

  // The connection ended (`cause`) before `request`'s response arrived.
  // nullopt: it goes out on the next connection (it was not written yet, or
  // it is idempotent with resends left, and is marked unwritten again);
  // otherwise the not_answered error it fails with (counted).
  std::optional<ClientError> after_loss(OutgoingRequest& request, const ClientError& cause);

  // The reconnect gave up (`gave_up`, from gave_up()): what a request
  // waiting for it fails with. not_answered for an idempotent call that had
  // been written before (the server may have it), `gave_up` itself for a
  // request never written (the server certainly does not).
  ClientError after_give_up(const OutgoingRequest& request, const ClientError& gave_up);

  // With the policy on: true for the server's shutting_down error record.
  // It is not the answer to the call it would be matched with but the
  // server's last word before it closes (its drain deadline passed), so the
  // clients treat it as a close: that call and those after it are not
  // answered. Off: false (it is handed to the call, as it always was).
  bool ends_connection(const Value& response) const;
  // The cause of such a close, for not_answered messages.
  ClientError closed_by_server(const Value& response, const std::string& peer) const;

  // Attempts of one reconnect: begin() before the first, which is made at
  // once; after each failed one next_wait() is the pause before the next
  // (jittered exponential backoff), or nullopt when the policy's attempts
  // are spent or `failure` cannot go away by trying again (tls_config).
  void begin();
  std::optional<std::chrono::milliseconds> next_wait(const ClientError& failure);
  // A reconnect whose last attempt failed with `last` gave up: the same
  // code, saying how many attempts it made over how long.
  ClientError gave_up(const ClientError& last, const std::string& peer) const;
  void reconnected() noexcept { reconnects_.fetch_add(1, std::memory_order_relaxed); }
  void lost() noexcept { lost_.fetch_add(1, std::memory_order_relaxed); }

  // Safe from any thread.
  ReconnectStats stats() const noexcept;

 private:
  ReconnectPolicy policy_;
  unsigned attempts_ = 0;
  Clock::time_point started_{};
  std::minstd_rand random_;
  std::atomic<std::uint64_t> lost_{0};
  std::atomic<std::uint64_t> reconnects_{0};
  std::atomic<std::uint64_t> resent_{0};
  std::atomic<std::uint64_t> not_answered_{0};
};

}  // namespace crous::client::detail
