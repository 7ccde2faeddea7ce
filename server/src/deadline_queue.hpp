#pragma once
// The deadlines of one shard's sessions (idle, write, record, linger, route
// timeouts) in one min-heap, watched by one timer. A session costs a heap
// slot instead of a timer of its own with a wait always pending: at 10,000
// idle connections that is the difference between beating Redis' per-client
// memory and not (BENCHMARKS.md).
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>

#include <chrono>
#include <cstddef>
#include <functional>
#include <limits>
#include <vector>

namespace crous::server::detail {

class DeadlineQueue {
 public:
  using clock = std::chrono::steady_clock;

  // Base of whatever has a deadline; the queue keeps its place in the heap.
  class Timed {
   public:
    clock::time_point deadline() const noexcept { return deadline_; }
    bool scheduled() const noexcept { return index_ != npos; }

   private:
    friend class DeadlineQueue;
    static constexpr std::size_t npos = std::numeric_limits<std::size_t>::max();
    clock::time_point deadline_{};
    std::size_t index_ = npos;
  };

  // `fire` is called on the io_context's thread for each entry whose
  // deadline has come, after it has left the queue.
  DeadlineQueue(boost::asio::io_context& ctx, std::function<void(Timed&)> fire);

  // Sets (or moves) the deadline of `t`.
  void schedule(Timed& t, clock::time_point at);
  void cancel(Timed& t) noexcept;
  std::size_t size() const noexcept { return heap_.size(); }

 private:
  void place(std::size_t i) noexcept;  // restores the heap around i
  void swap_entries(std::size_t a, std::size_t b) noexcept;
  void remove_at(std::size_t i) noexcept;
  void arm();
  void on_timer();

  std::vector<Timed*> heap_;
  boost::asio::steady_timer timer_;
  clock::time_point armed_for_ = clock::time_point::max();  // the timer's expiry while a wait is pending
  std::function<void(Timed&)> fire_;
};

}  // namespace crous::server::detail
