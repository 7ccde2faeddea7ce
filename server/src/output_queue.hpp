#pragma once
// A connection's responses waiting to be written, in request order. No Asio:
// the session asks for the ready prefix as a gather list, writes it, and
// reports how much went out.
//
// Responses are appended to the tail chunk, so a batch of small responses
// becomes one contiguous buffer. An offloaded request reserves a slot: a
// chunk that is not ready until its response is filled in. Everything behind
// an unfilled slot waits, which is what keeps responses in order.
#include <cstddef>
#include <cstdint>
#include <span>
#include <vector>

#include "crous/value.hpp"

namespace crous::server::detail {

class OutputQueue {
 public:
  using Slot = std::uint64_t;

  // Appends one response produced by `encode(Bytes&)`; if encode throws,
  // nothing of it stays in the stream.
  template <class Encode>
  void emit(Encode&& encode) {
    Bytes& out = tail();
    const std::size_t before = out.size();
    try {
      encode(out);
    } catch (...) {
      out.resize(before);
      throw;
    }
    pending_ += out.size() - before;
  }

  // A place for a response that is not ready yet.
  Slot reserve();
  // Fills a reserved slot; false (and the bytes are dropped) when the slot
  // was already filled, e.g. by a timeout answer.
  bool fill(Slot slot, Bytes bytes);
  bool filled(Slot slot) const;

  // The ready bytes from the front, at most `max_buffers` pieces, and marks
  // them as being written: nothing is appended to those chunks until
  // written() is called. Empty when nothing is ready (or a write is already
  // in flight).
  const std::vector<std::span<const std::uint8_t>>& gather(std::size_t max_buffers);
  // The write in flight finished having written `n` bytes.
  void written(std::size_t n);

  bool writing() const noexcept { return writing_chunks_ != 0; }
  bool empty() const noexcept { return head_ == chunks_.size(); }
  // Bytes of ready responses not yet written (the backpressure measure).
  std::size_t pending_bytes() const noexcept { return pending_; }

 private:
  struct Chunk {
    Bytes bytes;
    bool ready = true;
  };

  Bytes& tail();
  Bytes take_spare();
  void pop_written();
  std::size_t size() const noexcept { return chunks_.size() - head_; }

  // chunks_[head_..] are queued; a vector with a moving head instead of a
  // deque, because an idle deque still costs its first block.
  std::vector<Chunk> chunks_;
  std::size_t head_ = 0;
  Slot head_slot_ = 0;              // slot number of chunks_[head_]
  std::size_t pending_ = 0;         // ready bytes not yet written
  std::size_t writing_chunks_ = 0;  // front chunks the write in flight reads from
  std::size_t front_written_ = 0;   // bytes of the front chunk already written
  std::vector<std::span<const std::uint8_t>> gather_;
  Bytes spare_;  // one emptied buffer kept for the next batch
};

}  // namespace crous::server::detail
