#include "crous/client/pool.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>

#include "pool_state.hpp"

namespace crous::client {

Pool::Pool(const executor_type& executor, std::string host, unsigned short port, PoolOptions options)
    : executor_(executor),
      state_(std::make_shared<detail::PoolState>(executor, std::move(host), port, std::move(options))) {}

Pool::~Pool() { close(); }

// On the pool's thread the call starts at once; from another thread (or
// an executor that cannot tell) it is posted there.
void Pool::start_call(Value request, CallContext* context, std::unique_ptr<detail::Completion> completion) {
  const auto* io = executor_.target<boost::asio::io_context::executor_type>();
  if (io && io->running_in_this_thread()) return state_->call(std::move(request), context, std::move(completion));
  boost::asio::post(
      executor_, [state = state_, request = std::move(request), context, completion = std::move(completion)]() mutable {
        state->call(std::move(request), context, std::move(completion));
      });
}

Pool::Stats Pool::stats() const { return state_->stats(); }

void Pool::close() { state_->close(ClientError(ClientErrc::cancelled, "the pool was closed")); }

}  // namespace crous::client
