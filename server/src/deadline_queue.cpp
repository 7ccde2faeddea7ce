#include "deadline_queue.hpp"

#include <utility>

namespace crous::server::detail {

DeadlineQueue::DeadlineQueue(boost::asio::io_context& ctx, std::function<void(Timed&)> fire)
    : timer_(ctx), fire_(std::move(fire)) {}

void DeadlineQueue::schedule(Timed& t, clock::time_point at) {
  t.deadline_ = at;
  if (t.index_ == Timed::npos) {
    t.index_ = heap_.size();
    heap_.push_back(&t);
  }
  place(t.index_);
  arm();
}

void DeadlineQueue::cancel(Timed& t) noexcept {
  if (t.index_ == Timed::npos) return;
  remove_at(t.index_);
  if (heap_.empty() && armed_for_ != clock::time_point::max()) {
    // A pending wait would keep the io_context's run() from returning once
    // its last session is gone (that is how the drain ends).
    armed_for_ = clock::time_point::max();
    timer_.cancel();
  }
}

void DeadlineQueue::swap_entries(std::size_t a, std::size_t b) noexcept {
  std::swap(heap_[a], heap_[b]);
  heap_[a]->index_ = a;
  heap_[b]->index_ = b;
}

void DeadlineQueue::place(std::size_t i) noexcept {
  while (i > 0) {
    const std::size_t parent = (i - 1) / 2;
    if (!(heap_[i]->deadline_ < heap_[parent]->deadline_)) break;
    swap_entries(i, parent);
    i = parent;
  }
  for (;;) {
    const std::size_t left = 2 * i + 1;
    const std::size_t right = left + 1;
    std::size_t least = i;
    if (left < heap_.size() && heap_[left]->deadline_ < heap_[least]->deadline_) least = left;
    if (right < heap_.size() && heap_[right]->deadline_ < heap_[least]->deadline_) least = right;
    if (least == i) return;
    swap_entries(i, least);
    i = least;
  }
}

void DeadlineQueue::remove_at(std::size_t i) noexcept {
  Timed* gone = heap_[i];
  const std::size_t last = heap_.size() - 1;
  if (i != last) swap_entries(i, last);
  heap_.pop_back();
  gone->index_ = Timed::npos;
  if (i < heap_.size()) place(i);
}

// The timer waits for the earliest deadline; it is re-armed only when that
// moves earlier than the pending wait (later deadlines are found when it fires).
void DeadlineQueue::arm() {
  if (heap_.empty()) return;
  const clock::time_point earliest = heap_.front()->deadline_;
  if (earliest >= armed_for_) return;
  armed_for_ = earliest;
  timer_.expires_at(earliest);  // cancels a pending wait, whose handler then does nothing
  timer_.async_wait([this](const boost::system::error_code& ec) {
    if (ec) return;
    armed_for_ = clock::time_point::max();
    on_timer();
  });
}

void DeadlineQueue::on_timer() {
  const clock::time_point now = clock::now();
  // Take every due entry out first: an entry that reschedules itself for
  // `now` while firing waits for the next round instead of looping here.
  std::vector<Timed*> due;
  while (!heap_.empty() && heap_.front()->deadline_ <= now) {
    due.push_back(heap_.front());
    remove_at(0);
  }
  for (Timed* t : due) fire_(*t);
  arm();
}

}  // namespace crous::server::detail
