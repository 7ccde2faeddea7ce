#pragma once
// Fixed pool of threads for offloaded handlers. Jobs carry their own way back
// to the I/O thread (a post to the session's executor), so the pool knows
// nothing about sockets.
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace crous::server::detail {

class WorkerPool {
 public:
  using Job = std::function<void()>;

  explicit WorkerPool(unsigned threads);
  ~WorkerPool();
  WorkerPool(const WorkerPool&) = delete;
  WorkerPool& operator=(const WorkerPool&) = delete;

  void submit(Job job);
  // Finishes the running jobs, drops queued ones and joins. Idempotent.
  void stop();

 private:
  void run();

  std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> jobs_;
  bool stopping_ = false;
  std::vector<std::thread> threads_;
};

}  // namespace crous::server::detail
