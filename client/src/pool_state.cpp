#include "pool_state.hpp"

#include <algorithm>
#include <optional>

#include "crous/client/tls.hpp"

namespace crous::client::detail {

namespace asio = boost::asio;
using boost::system::error_code;

namespace {

// The longest deadline_ms taken literally (about 24 days): a larger one
// cannot be added to a clock reading without overflow, and is no bound.
constexpr std::int64_t kMaxDeadlineMillis = std::int64_t{1} << 31;

}  // namespace

PoolState::PoolState(const asio::any_io_executor& executor, std::string host, unsigned short port, PoolOptions options)
    : executor_(executor),
      host_(std::move(host)),
      port_(port),
      peer_(peer_name(host_, port)),
      options_(std::move(options)),
      timer_(executor) {
  if (options_.max_connections == 0) throw std::invalid_argument("PoolOptions::max_connections must be at least 1");
  if (options_.max_pipeline == 0) throw std::invalid_argument("PoolOptions::max_pipeline must be at least 1");
  if (options_.connection.tls.enabled) tls_context_ = make_tls_context(options_.connection.tls);
}

PoolState::~PoolState() { close(ClientError(ClientErrc::cancelled, "the pool to " + peer_ + " was destroyed")); }

void PoolState::call(Value request, CallContext* context, std::unique_ptr<Completion> completion) {
  const auto now = Clock::now();
  auto call = std::make_shared<PoolCall>();
  call->completion = std::move(completion);
  call->deadline = now + options_.connection.timeout;
  if (context && context->cancelled()) {
    const bool deadline = context->cancel_reason() == CancelReason::deadline;
    finish(*call, std::make_exception_ptr(
                      deadline ? timeout_error_for(*call)
                               : ClientError(ClientErrc::cancelled,
                                             "call to " + peer_ + " not made: its context was cancelled (" +
                                                 std::string(to_string(context->cancel_reason())) + ")")));
    return;
  }
  // The context's deadline and the request's own deadline_ms bound the
  // call; the earlier one travels as the request's deadline_ms.
  std::optional<Clock::time_point> inherited;
  if (context && context->has_deadline()) inherited = context->deadline();
  if (request.is_dict()) {
    Dict& dict = request.as_dict();
    if (const Value* own = dict.find(deadline_field);
        own && own->is_int() && own->as_int() >= 0 && own->as_int() < kMaxDeadlineMillis) {
      const auto own_deadline = now + std::chrono::milliseconds(own->as_int());
      if (!inherited || own_deadline < *inherited) inherited = own_deadline;
    }
    if (inherited) {
      const auto left = std::max(Clock::duration::zero(), *inherited - now);
      // Rounded up: the server answering this gives up no earlier than we do.
      dict.insert_or_assign(std::string(deadline_field), std::chrono::ceil<std::chrono::milliseconds>(left).count());
    }
  }
  if (inherited && *inherited < call->deadline) {
    call->deadline = *inherited;
    call->inherited_deadline = true;
  }
  if (call->deadline <= now) return finish(*call, std::make_exception_ptr(timeout_error_for(*call)));
  call->request = std::move(request);
  if (context) {
    // The registration lives in the call and goes when the call completes,
    // so the callback never sees a completed call or a destroyed pool.
    // (Two pointers: std::function keeps them without an allocation.)
    // Registered before the call is filed anywhere: if this throws, nothing
    // points at the call.
    call->context = context;
    call->cancellation = context->on_cancel([this, target = call.get()] { cancelled(*target); });
    if (!call->live()) return;  // the context was cancelled already: the call has ended
  }
  deadlines_.emplace(call->deadline, call.get());
  arm_timer();
  send(call);
}

// Calls keep their order: a new one queues behind those already waiting.
void PoolState::send(const PoolCallPtr& call) {
  waiting_.push_back(call);
  dispatch_waiting();
}

void PoolState::dispatch_waiting() {
  while (!waiting_.empty()) {
    if (!waiting_.front()->live()) {
      waiting_.pop_front();
      continue;
    }
    PoolConnection* connection = nullptr;
    try {
      connection = pick();
    } catch (...) {
      PoolCallPtr call = std::move(waiting_.front());
      waiting_.pop_front();
      finish(*call, std::current_exception());
      continue;
    }
    if (!connection) return;
    PoolCallPtr call = std::move(waiting_.front());
    waiting_.pop_front();
    try {
      connection->add(call);
    } catch (...) {
      finish(*call, std::current_exception());
    }
  }
}

// The first connection with room, in the order they were opened: calls
// made together travel together (one write, one read of their answers)
// instead of one per connection, and a new connection opens only when all
// are full.
PoolConnection* PoolState::pick() {
  for (auto it = connections_.begin(); it != connections_.end();) {
    PoolConnection& c = **it;
    // A connection the server closed while it was idle is replaced now,
    // before a request is lost on it.
    if (c.idle() && c.peer_closed()) {
      c.close();
      it = connections_.erase(it);
      continue;
    }
    if (c.load() < options_.max_pipeline) return &c;
    ++it;
  }
  if (connections_.size() < options_.max_connections) return open_connection();
  return nullptr;
}

PoolConnection* PoolState::open_connection() {
  auto connection =
      std::make_shared<PoolConnection>(*this, executor_, options_.connection, tls_context_.get(), host_, port_);
  connections_.push_back(connection);
  ++connects_;
  connection->start();
  return connection.get();
}

std::shared_ptr<PoolConnection> PoolState::remove(PoolConnection& connection) {
  auto it = std::find_if(connections_.begin(), connections_.end(),
                         [&](const std::shared_ptr<PoolConnection>& c) { return c.get() == &connection; });
  if (it == connections_.end()) return nullptr;
  std::shared_ptr<PoolConnection> kept = std::move(*it);
  connections_.erase(it);
  return kept;
}

void PoolState::answered(PoolCall& call, Value response) {
  if (auto error = server_error_in(response)) {
    // The server gave up at the deadline we sent it, which is ours rounded
    // up: its answer can only beat our own timer by a hair. Either way the
    // call's deadline passed, and the caller is told so one way: timeout.
    if (error->code() == "deadline_exceeded" && Clock::now() >= call.deadline)
      return finish(call, std::make_exception_ptr(timeout_error_for(call)));
    return finish(call, std::make_exception_ptr(std::move(*error)));
  }
  finish(call, nullptr, std::move(response));
}

void PoolState::connection_failed(PoolConnection& connection, const ClientError& error) {
  const auto kept = remove(connection);
  const auto failure = std::make_exception_ptr(error);
  for (const PoolCallPtr& call : connection.take_calls())
    if (call->live()) finish(*call, failure);
  // The calls waiting behind get a new connection.
  dispatch_waiting();
}

void PoolState::connection_retired(PoolConnection& connection) {
  const auto kept = remove(connection);
  connection.take_calls();  // only abandoned ones
  dispatch_waiting();
}

void PoolState::finish(PoolCall& call, std::exception_ptr error, Value response) {
  if (!call.live()) return;
  deadlines_.erase({call.deadline, &call});
  call.cancellation.reset();
  std::unique_ptr<Completion> completion = std::move(call.completion);
  completion->complete(std::move(error), std::move(response));
  // No wait stays pending without a call to time: an idle pool holds no
  // work on its io_context.
  if (deadlines_.empty() && timer_at_ != Clock::time_point::max()) {
    timer_at_ = Clock::time_point::max();
    timer_.cancel();
  }
}

void PoolState::end_early(PoolCall& call, const ClientError& error) {
  if (!call.live()) return;
  PoolConnection* connection = call.connection;
  finish(call, std::make_exception_ptr(error));
  // Still waiting in the pool: dropped from waiting_ when its turn comes.
  if (connection) connection->abandoned();
}

void PoolState::cancelled(PoolCall& call) {
  const CancelReason reason = call.context->cancel_reason();
  if (reason == CancelReason::deadline) return end_early(call, timeout_error_for(call));
  end_early(call, ClientError(ClientErrc::cancelled,
                              "call to " + peer_ + " cancelled (" + std::string(to_string(reason)) + ")"));
}

ClientError PoolState::timeout_error_for(const PoolCall& call) const {
  if (call.inherited_deadline)
    return ClientError(ClientErrc::timeout, "call to " + peer_ + ": its deadline passed before the response came");
  return timeout_error("waiting for a response from", peer_, options_.connection.timeout.count());
}

// One timer for every live call, waiting for the earliest deadline. It is
// moved only earlier; a wake-up with nothing due waits again.
void PoolState::arm_timer() {
  if (deadlines_.empty()) return;
  const Clock::time_point next = deadlines_.begin()->first;
  if (next >= timer_at_) return;
  timer_at_ = next;
  timer_.expires_at(next);  // a wait already pending ends with operation_aborted
  timer_.async_wait([weak = weak_from_this()](const error_code& ec) {
    if (ec) return;
    if (auto self = weak.lock()) self->on_timer();
  });
}

void PoolState::on_timer() {
  timer_at_ = Clock::time_point::max();
  const auto now = Clock::now();
  while (!deadlines_.empty() && deadlines_.begin()->first <= now) {
    PoolCall& call = *deadlines_.begin()->second;
    end_early(call, timeout_error_for(call));
  }
  arm_timer();
}

Pool::Stats PoolState::stats() const {
  Pool::Stats s;
  s.connections = connections_.size();
  for (const auto& c : connections_) s.in_flight += c->load();
  for (const auto& call : waiting_) s.waiting += call->live() ? 1 : 0;
  s.connects = connects_;
  s.discarded = discarded_;
  return s;
}

void PoolState::close(const ClientError& error) {
  const auto failure = std::make_exception_ptr(error);
  std::vector<std::shared_ptr<PoolConnection>> connections = std::move(connections_);
  connections_.clear();
  std::deque<PoolCallPtr> waiting = std::move(waiting_);
  waiting_.clear();
  for (const auto& connection : connections) {
    connection->close();
    for (const PoolCallPtr& call : connection->take_calls()) finish(*call, failure);
  }
  for (const PoolCallPtr& call : waiting) finish(*call, failure);
  timer_at_ = Clock::time_point::max();
  timer_.cancel();
}

}  // namespace crous::client::detail
