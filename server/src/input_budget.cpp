#include "input_budget.hpp"

#include <algorithm>

namespace crous::server::detail {

bool InputBudget::admit(Holder& holder, std::size_t extra) {
  std::lock_guard lock(mutex_);
  if (used_ + extra <= limit_) return true;
  if (std::find(waiters_.begin(), waiters_.end(), &holder) == waiters_.end()) waiters_.push_back(&holder);
  evict_for(used_ + extra - limit_);
  return false;
}

void InputBudget::hold(Holder& holder, std::size_t bytes) {
  std::lock_guard lock(mutex_);
  auto it = holders_.find(&holder);
  const std::size_t before = it == holders_.end() ? 0 : it->second.bytes;
  // A holder that lets go stops waiting too (it may be closing).
  if (bytes == 0) waiters_.erase(std::remove(waiters_.begin(), waiters_.end(), &holder), waiters_.end());
  if (bytes == before) return;
  used_ = used_ - before + bytes;
  if (it != holders_.end() && it->second.evicting) evicting_bytes_ = evicting_bytes_ - before + bytes;
  if (bytes == 0) {
    holders_.erase(it);
  } else if (it == holders_.end()) {
    holders_.emplace(&holder, Holding{bytes, false});
  } else {
    it->second.bytes = bytes;
  }
  if (bytes < before) wake_waiters();
  if (used_ > limit_) evict_for(used_ - limit_);
}

// Asks the largest holders not yet asked to give up memory, until what they
// hold covers `needed` (counting what earlier requests are already freeing).
void InputBudget::evict_for(std::size_t needed) {
  while (evicting_bytes_ < needed) {
    Holder* largest = nullptr;
    std::size_t largest_bytes = 0;
    for (auto& [h, holding] : holders_)
      if (!holding.evicting && holding.bytes > largest_bytes) {
        largest = h;
        largest_bytes = holding.bytes;
      }
    if (!largest) return;  // nothing left to ask: memory frees as records complete
    holders_[largest].evicting = true;
    evicting_bytes_ += largest_bytes;
    ++evictions_;
    largest->budget_evict();
  }
}

void InputBudget::wake_waiters() {
  if (waiters_.empty() || used_ >= limit_) return;
  // Everyone retries; those that still do not fit register again.
  std::vector<Holder*> woken;
  woken.swap(waiters_);
  for (Holder* h : woken) h->budget_available();
}

bool InputBudget::evicting(Holder& holder) const {
  std::lock_guard lock(mutex_);
  auto it = holders_.find(&holder);
  return it != holders_.end() && it->second.evicting;
}

std::size_t InputBudget::used() const {
  std::lock_guard lock(mutex_);
  return used_;
}

std::uint64_t InputBudget::evictions() const {
  std::lock_guard lock(mutex_);
  return evictions_;
}

}  // namespace crous::server::detail
