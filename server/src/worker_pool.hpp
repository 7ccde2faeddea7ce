#pragma once
// Fixed pool of threads for offloaded handlers. Jobs carry their own way back
// to the I/O thread (a post to the session's executor), so the pool knows
// nothing about sockets.
//
// Fair between connections: each owner (a session) has its own FIFO, and the
// workers take one job from each owner with work in turn (round robin), so a
// connection with hundreds of slow requests queued delays another
// connection's request by about one handler duration, not by its whole queue.
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <unordered_map>
#include <vector>

namespace crous::server::detail {

class WorkerPool {
 public:
  using Job = std::function<void()>;
  using Owner = const void*;

  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(Owner owner, Job job);
  // Finishes the running jobs, drops queued ones and joins. Idempotent.
  void stop();

  struct Load {
    std::size_t queued = 0;
    std::size_t running = 0;
  };
  Load load() const;  // both read at one instant

 private:
  void run();
  bool take(Job& job);  // under the lock

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::unordered_map<Owner, std::deque<Job>> queues_;
  std::deque<Owner> turns_;  // owners with queued jobs, in serving order
  std::size_t queued_ = 0;
  std::size_t running_ = 0;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace crous::server::detail
