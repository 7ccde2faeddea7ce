#include "crous/record_buffer.hpp"

#include <sys/mman.h>

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <utility>

#include "crous/error.hpp"
#include "crous/stream.hpp"

namespace crous {

namespace {
// The first allocation for a few stray bytes (a record split across two
// reads) stays small; doubling takes it from there.
constexpr std::size_t kMinCapacity = 256;
// From this size on, storage is mapped (and unmapped) directly.
constexpr std::size_t kMapFrom = 256 * 1024;
}  // namespace

RecordBuffer::Storage::Storage(std::size_t size) : size_(size) {
  if (size >= kMapFrom) {
    void* p = ::mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) throw std::bad_alloc();
    data_ = static_cast<std::uint8_t*>(p);
  } else {
    data_ = new std::uint8_t[size];
  }
}

RecordBuffer::Storage::~Storage() {
  if (!data_) return;
  if (size_ >= kMapFrom) ::munmap(data_, size_);
  else delete[] data_;
}

RecordBuffer::Storage::Storage(Storage&& other) noexcept
    : data_(std::exchange(other.data_, nullptr)), size_(std::exchange(other.size_, 0)) {}

RecordBuffer::Storage& RecordBuffer::Storage::operator=(Storage&& other) noexcept {
  if (this != &other) {
    Storage gone(std::move(*this));
    data_ = std::exchange(other.data_, nullptr);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

RecordBuffer::RecordBuffer(const Limits& limits, RecordScanner::Mode mode) : limits_(limits), scanner_(limits, mode) {}

void RecordBuffer::rebase() noexcept {
  base_offset_ += begin_;
  scanned_ -= begin_;
  end_ -= begin_;
  begin_ = 0;
}

std::size_t RecordBuffer::capacity_after(std::size_t more) const noexcept {
  const std::size_t needed = (borrowed_ ? 0 : end_ - begin_) + more;
  if (needed <= capacity_) return capacity_;
  // Doubling keeps appends amortised O(1); the bound keeps one record's
  // buffer from reaching twice the record limit.
  // Saturating: an embedder may set max_record_bytes near SIZE_MAX for "no limit".
  const std::size_t bound = limits_.max_record_bytes > SIZE_MAX - read_chunk ? SIZE_MAX
                                                                             : limits_.max_record_bytes + read_chunk;
  std::size_t grown = std::max(kMinCapacity, capacity_ * 2);
  if (grown > bound) grown = bound;
  return std::max(grown, needed);
}

// Ensures storage for the unconsumed bytes plus `more`, moving the
// unconsumed bytes to the front. Only for owned storage.
void RecordBuffer::make_room(std::size_t more) {
  const std::size_t kept = end_ - begin_;
  if (capacity_ - end_ >= more) return;
  if (capacity_ >= kept + more) {
    std::memmove(storage_.data(), storage_.data() + begin_, kept);
    rebase();
    return;
  }
  const std::size_t capacity = capacity_after(more);
  Storage grown(capacity);
  if (kept != 0) std::memcpy(grown.data(), storage_.data() + begin_, kept);
  storage_ = std::move(grown);
  capacity_ = capacity;
  data_ = storage_.data();
  rebase();
}

std::span<std::uint8_t> RecordBuffer::prepare(std::size_t at_least) {
  if (borrowed_) throw UsageError("RecordBuffer::prepare() while borrowing; call keep_rest() first");
  if (begin_ == end_) rebase();
  make_room(at_least);
  return {storage_.data() + end_, capacity_ - end_};
}

void RecordBuffer::append(std::span<const std::uint8_t> bytes) {
  if (bytes.empty()) return;
  auto space = prepare(bytes.size());
  std::memcpy(space.data(), bytes.data(), bytes.size());
  commit(bytes.size());
}

void RecordBuffer::borrow(std::span<const std::uint8_t> bytes) {
  if (!empty()) throw UsageError("RecordBuffer::borrow() with bytes still buffered; append() instead");
  rebase();
  data_ = bytes.data();
  borrowed_ = true;
  end_ = bytes.size();
}

void RecordBuffer::keep_rest() {
  if (!borrowed_) return;
  const std::uint8_t* from = data_ + begin_;
  const std::size_t kept = end_ - begin_;
  const std::size_t scanned = scanned_ - begin_;
  base_offset_ += begin_;
  borrowed_ = false;
  data_ = storage_.data();
  begin_ = scanned_ = end_ = 0;
  if (kept == 0) return;
  make_room(kept);
  std::memcpy(storage_.data(), from, kept);
  end_ = kept;
  scanned_ = scanned;
}

bool RecordBuffer::fill(InputStream& in) {
  auto space = prepare(read_chunk);
  const std::size_t n = in.read(space.data(), space.size());
  commit(n);
  return n != 0;
}

std::optional<std::span<const std::uint8_t>> RecordBuffer::next() {
  while (scanned_ < end_) {
    const auto result = scanner_.feed({data_ + scanned_, end_ - scanned_});
    scanned_ += result.consumed;
    if (result.status == RecordScanner::Status::error) {
      throw DecodeError(scanner_.error_code(), base_offset_ + begin_ + scanner_.error_offset(),
                        scanner_.error_message());
    }
    if (result.status == RecordScanner::Status::complete) {
      const std::span<const std::uint8_t> record(data_ + begin_, scanner_.record_size());
      record_offset_ = base_offset_ + begin_;
      begin_ += record.size();
      return record;
    }
  }
  return std::nullopt;
}

void RecordBuffer::consume(std::size_t n) noexcept {
  begin_ += std::min(n, end_ - begin_);
  if (scanned_ < begin_) scanned_ = begin_;
}

void RecordBuffer::release() noexcept {
  if (borrowed_ || begin_ != end_) return;
  rebase();
  storage_ = Storage();
  capacity_ = 0;
  data_ = nullptr;
}

void RecordBuffer::clear() noexcept {
  base_offset_ += end_;
  begin_ = scanned_ = end_ = 0;
  borrowed_ = false;
  storage_ = Storage();
  capacity_ = 0;
  data_ = nullptr;
  scanner_.reset();
}

}  // namespace crous
