#include "output_queue.hpp"

namespace crous::server::detail {

namespace {
// A written buffer bigger than this goes back to the allocator instead of
// being kept for the next batch: a pipelined batch of small responses fits,
// and an idle connection never keeps more than this.
constexpr std::size_t kKeepSpare = 16 * 1024;
}  // namespace

Bytes& OutputQueue::tail() {
  // Appending to a chunk of the write in flight would move its bytes under
  // the kernel; a not-ready chunk is an offload slot.
  if (size() <= writing_chunks_ || !chunks_.back().ready) chunks_.push_back(Chunk{take_spare(), true});
  return chunks_.back().bytes;
}

Bytes OutputQueue::take_spare() {
  Bytes b = std::move(spare_);
  spare_ = Bytes();
  return b;
}

OutputQueue::Slot OutputQueue::reserve() {
  chunks_.push_back(Chunk{{}, false});
  return head_slot_ + size() - 1;
}

bool OutputQueue::fill(Slot slot, Bytes bytes) {
  if (slot < head_slot_ || slot - head_slot_ >= size()) return false;
  Chunk& chunk = chunks_[head_ + static_cast<std::size_t>(slot - head_slot_)];
  if (chunk.ready) return false;
  pending_ += bytes.size();
  chunk.bytes = std::move(bytes);
  chunk.ready = true;
  return true;
}

bool OutputQueue::filled(Slot slot) const {
  if (slot < head_slot_ || slot - head_slot_ >= size()) return true;  // written already
  return chunks_[head_ + static_cast<std::size_t>(slot - head_slot_)].ready;
}

const std::vector<std::span<const std::uint8_t>>& OutputQueue::gather(std::size_t max_buffers) {
  gather_.clear();
  if (writing()) return gather_;
  std::size_t n = 0;
  for (; n < size() && gather_.size() < max_buffers; ++n) {
    const Chunk& chunk = chunks_[head_ + n];
    if (!chunk.ready) break;
    const std::size_t skip = n == 0 ? front_written_ : 0;
    if (chunk.bytes.size() > skip) gather_.emplace_back(chunk.bytes.data() + skip, chunk.bytes.size() - skip);
  }
  if (gather_.empty()) {
    pop_written();  // only empty chunks were ready
    return gather_;
  }
  writing_chunks_ = n;
  return gather_;
}

void OutputQueue::written(std::size_t n) {
  writing_chunks_ = 0;
  pending_ -= n;
  front_written_ += n;
  pop_written();
}

// Pops the fully written chunks at the front, keeping one buffer for the
// next batch (big ones go back to the allocator).
void OutputQueue::pop_written() {
  while (!empty() && chunks_[head_].ready && front_written_ >= chunks_[head_].bytes.size()) {
    Bytes& b = chunks_[head_].bytes;
    front_written_ -= b.size();
    if (spare_.capacity() == 0 && b.capacity() <= kKeepSpare) {
      b.clear();
      spare_ = std::move(b);
    }
    ++head_;
    ++head_slot_;
  }
  if (empty()) {
    chunks_.clear();
    head_ = 0;
  } else if (head_ >= 64 && head_ * 2 >= chunks_.size()) {
    chunks_.erase(chunks_.begin(), chunks_.begin() + static_cast<std::ptrdiff_t>(head_));
    head_ = 0;
  }
}

}  // namespace crous::server::detail
