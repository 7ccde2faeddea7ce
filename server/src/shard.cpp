#include "server_core.hpp"
#include "session.hpp"

namespace crous::server::detail {

Shard::Shard(std::size_t i)
    : index(i), deadlines(ctx, [this](DeadlineQueue::Timed& due) {
        // Only open sessions are in the queue (close() takes them out); the
        // reference keeps one alive while it handles its deadline.
        auto it = sessions.find(static_cast<Session*>(&due));
        if (it == sessions.end()) return;
        std::shared_ptr<Session> session = it->second;
        session->on_deadline();
      }) {}

}  // namespace crous::server::detail
