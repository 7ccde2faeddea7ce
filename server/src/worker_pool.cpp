#include "worker_pool.hpp"

namespace crous::server::detail {

WorkerPool::WorkerPool(unsigned threads) {
  threads_.reserve(threads);
  for (unsigned i = 0; i < threads; ++i) threads_.emplace_back([this] { run(); });
}

WorkerPool::~WorkerPool() { stop(); }

void WorkerPool::submit(Owner owner, Job job) {
  {
    std::lock_guard lock(mutex_);
    if (stopping_) return;
    auto& queue = queues_[owner];
    if (queue.empty()) turns_.push_back(owner);
    queue.push_back(std::move(job));
    ++queued_;
  }
  wake_.notify_one();
}

void WorkerPool::stop() {
  std::unordered_map<Owner, std::deque<Job>> dropped;
  {
    std::lock_guard lock(mutex_);
    stopping_ = true;
    dropped.swap(queues_);
    turns_.clear();
    queued_ = 0;
  }
  wake_.notify_all();
  for (std::thread& t : threads_)
    if (t.joinable()) t.join();
  // `dropped` dies here, outside the lock: jobs own sessions whose
  // destructors must not run under our mutex.
}

// The next owner in turn gives up its oldest job and, if it has more, goes
// to the back of the line.
bool WorkerPool::take(Job& job) {
  if (turns_.empty()) return false;
  Owner owner = turns_.front();
  turns_.pop_front();
  auto it = queues_.find(owner);
  job = std::move(it->second.front());
  it->second.pop_front();
  if (it->second.empty()) queues_.erase(it);
  else turns_.push_back(owner);
  --queued_;
  return true;
}

void WorkerPool::run() {
  for (;;) {
    Job job;
    {
      std::unique_lock lock(mutex_);
      wake_.wait(lock, [this] { return stopping_ || !turns_.empty(); });
      if (stopping_) return;
      take(job);
      ++running_;
    }
    try {
      job();
    } catch (...) {
      // Jobs report their own failures (to their session); one that cannot
      // must not take the pool's thread, and with it the server, down.
    }
    job = nullptr;  // the session it holds may die here, outside the lock
    std::lock_guard lock(mutex_);
    --running_;
  }
}

WorkerPool::Load WorkerPool::load() const {
  std::lock_guard lock(mutex_);
  return {queued_, running_};
}

}  // namespace crous::server::detail
