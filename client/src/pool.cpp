#include "crous/client/pool.hpp"

#include <boost/asio/dispatch.hpp>

#include "pool_state.hpp"

namespace crous::client {

Pool::Pool(const executor_type& executor, std::string host, unsigned short port, PoolOptions options)
    : executor_(executor),
      state_(std::make_shared<detail::PoolState>(executor, std::move(host), port, std::move(options))) {}

Pool::~Pool() { close(); }

// On the pool's thread the call starts at once; from another thread it is
// posted there.
void Pool::start_call(Value request, CallContext* context, std::unique_ptr<detail::Completion> completion) {
  boost::asio::dispatch(executor_, [state = state_, request = std::move(request), context,
                                    completion = std::move(completion)]() mutable {
    state->call(std::move(request), context, std::move(completion));
  });
}

Pool::Stats Pool::stats() const { return state_->stats(); }

void Pool::close() { state_->close(ClientError(ClientErrc::cancelled, "the pool was closed")); }

}  // namespace crous::client
