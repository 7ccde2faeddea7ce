#pragma once
// One object that owns the bytes of a record stream and frames them into
// records, like msgpack-c's unpacker: bytes go in (prepare()/commit(),
// append(), borrow() or fill()), complete records come out of next(), each
// with its stream offset so errors can say where they are.
//
// Every reader of FLUX record streams uses it: RecordReader and LazyReader
// (over an InputStream), the clients' response reader, crous-bench and the
// server's sessions (over sockets).
//
// Memory: the storage holds the unconsumed bytes (at most the unfinished
// record plus what arrived with it) and grows geometrically, never past
// max_record_bytes + read_chunk for data that frames; release() gives it
// back, so an idle owner holds nothing. Storage is not zero-filled: capacity
// costs address space, and only the bytes written cost resident memory.
// Large blocks are mapped from the system directly, so giving them back
// really returns them: malloc may keep freed megabytes resident in its
// arenas, and a server bounding its buffered input must bound its RSS.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "crous/limits.hpp"
#include "crous/record_scanner.hpp"

namespace crous {

class InputStream;

class RecordBuffer {
 public:
  static constexpr std::size_t read_chunk = 64 * 1024;

  explicit RecordBuffer(const Limits& limits = {}, RecordScanner::Mode mode = RecordScanner::Mode::record);
  RecordBuffer(RecordBuffer&&) noexcept = default;
  RecordBuffer& operator=(RecordBuffer&&) noexcept = default;

  // ---- input ----
  // Writable space of at least `at_least` bytes after the buffered ones;
  // commit() then says how many were written. Not while borrowing.
  std::span<std::uint8_t> prepare(std::size_t at_least = read_chunk);
  void commit(std::size_t written) noexcept { end_ += written; }
  // Copies `bytes` in after the buffered ones.
  void append(std::span<const std::uint8_t> bytes);
  // Frames straight from `bytes` without copying them (the common case of a
  // read holding whole records). Only when empty(). The caller keeps `bytes`
  // alive until keep_rest(), which copies whatever was not consumed.
  void borrow(std::span<const std::uint8_t> bytes);
  void keep_rest();
  bool borrowing() const noexcept { return borrowed_; }
  // Reads one chunk from `in`; false at end of stream.
  bool fill(InputStream& in);

  // ---- framing ----
  // The next complete record (valid until the next input call), or nullopt
  // until more bytes arrive. Throws DecodeError, offset counted from the
  // start of the stream, when the bytes cannot be a record (structure,
  // limits, UTF-8); the stream cannot be framed past that point.
  std::optional<std::span<const std::uint8_t>> next();
  // Stream offset of the record most recently returned by next().
  std::uint64_t record_offset() const noexcept { return record_offset_; }

  // Raw access for readers that take some bytes outside records (LazyReader's
  // container header and dict keys): the unconsumed bytes, and dropping the
  // first n of them. Only between records.
  std::span<const std::uint8_t> unconsumed() const noexcept { return {data_ + begin_, end_ - begin_}; }
  void consume(std::size_t n) noexcept;

  // ---- state ----
  bool empty() const noexcept { return begin_ == end_; }
  // Bytes received and not yet returned as records.
  std::size_t buffered() const noexcept { return end_ - begin_; }
  // True while bytes of an unfinished record have been scanned.
  bool mid_record() const noexcept { return !scanner_.at_boundary(); }
  // Owned storage (what the buffer costs), whether or not it is in use.
  std::size_t capacity() const noexcept { return capacity_; }
  // What capacity() becomes if `more` bytes are appended (or kept) now.
  std::size_t capacity_after(std::size_t more) const noexcept;
  // Stream offsets of the first unconsumed byte and of the end of input.
  std::uint64_t stream_offset() const noexcept { return base_offset_ + begin_; }
  std::uint64_t end_offset() const noexcept { return base_offset_ + end_; }
  // The least size the unfinished record can still have (0 between records).
  std::size_t min_record_size() const noexcept { return scanner_.min_record_size(); }
  const Limits& limits() const noexcept { return limits_; }

  // Gives the storage back when nothing is buffered.
  void release() noexcept;
  // Drops everything buffered, and the unfinished record with it, and gives
  // the storage back (the owner will frame nothing more from this stream).
  void clear() noexcept;

 private:
  // Owned bytes, not initialised; mapped from the system when large.
  class Storage {
   public:
    Storage() noexcept = default;
    explicit Storage(std::size_t size);
    ~Storage();
    Storage(Storage&& other) noexcept;
    Storage& operator=(Storage&& other) noexcept;
    std::uint8_t* data() const noexcept { return data_; }
    std::size_t size() const noexcept { return size_; }

   private:
    std::uint8_t* data_ = nullptr;
    std::size_t size_ = 0;
  };

  void make_room(std::size_t more);
  void rebase() noexcept;  // drops the consumed prefix from the indices (no copy)

  Limits limits_;
  RecordScanner scanner_;
  Storage storage_;
  std::size_t capacity_ = 0;  // storage_.size()
  const std::uint8_t* data_ = nullptr;  // storage_ or the borrowed bytes
  bool borrowed_ = false;
  // data_[begin_, end_) is unconsumed; the scanner has seen data_[begin_, scanned_).
  std::size_t begin_ = 0;
  std::size_t scanned_ = 0;
  std::size_t end_ = 0;
  std::uint64_t base_offset_ = 0;  // stream offset of data_[0]
  std::uint64_t record_offset_ = 0;
};

}  // namespace crous
