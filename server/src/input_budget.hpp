#pragma once
// The server-wide budget for buffered input: the bytes sessions hold for
// records that have not fully arrived (max_buffered_bytes). No Asio: a
// holder is told, under the budget's lock, to give its memory up or that
// memory is available again; the session's implementation of both only
// posts to its own thread.
//
// Policy (the spirit of Redis' maxmemory-clients): a session asks before a
// read that could grow its buffer. When the read does not fit, the session
// stops reading (its bytes wait in the kernel, where they cost us nothing)
// until memory frees; and, unless enough memory is already being given back,
// the holder of the largest unfinished record is asked to give its memory up
// (it answers server_busy and closes), so stalled giants cannot lock the
// budget forever and small clients keep being served.
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <unordered_map>
#include <vector>

namespace crous::server::detail {

class InputBudget {
 public:
  class Holder {
   public:
    // Give up the buffered input (close with server_busy). Called at most
    // once per holder, under the budget's lock: only post.
    virtual void budget_evict() = 0;
    // Memory was freed; a read may fit now. Under the lock: only post.
    virtual void budget_available() = 0;

   protected:
    ~Holder() = default;
  };

  explicit InputBudget(std::size_t limit) : limit_(limit) {}

  // True when growing `holder`'s buffer by `extra` bytes fits. Otherwise the
  // holder is registered to hear budget_available() and the largest holders
  // are asked to give up memory as described above.
  bool admit(Holder& holder, std::size_t extra);
  // Records that `holder` now holds `bytes` (0 forgets it). Never refused:
  // bytes already read must be kept. Going over the limit this way (one
  // read's tail) triggers evictions like admit() does.
  void hold(Holder& holder, std::size_t bytes);

  // True while `holder` has been asked to give up memory and still holds it.
  bool evicting(Holder& holder) const;

  std::size_t used() const;
  std::size_t limit() const noexcept { return limit_; }
  std::uint64_t evictions() const;

 private:
  struct Holding {
    std::size_t bytes = 0;
    bool evicting = false;
  };
  void evict_for(std::size_t needed);  // under the lock
  void wake_waiters();                 // under the lock

  const std::size_t limit_;
  mutable std::mutex mutex_;
  std::unordered_map<Holder*, Holding> holders_;
  std::vector<Holder*> waiters_;
  std::size_t used_ = 0;
  std::size_t evicting_bytes_ = 0;  // held by holders asked to give up
  std::uint64_t evictions_ = 0;
};

}  // namespace crous::server::detail
