#pragma once
// LZ4 stream compression, byte-compatible with python-lz4's lz4.stream
// (LZ4StreamCompressor("double_buffer", page_size, store_comp_size=N)); the
// wire format is docs/protocol.md, "LZ4 stream format":
//
//   block after block:  size (N bytes, little-endian) | one raw LZ4 block
//
// Each block holds at most one page of data and may copy from the data of
// the block before it (LZ4's streaming dictionary), so small similar records
// compress well together. Both sides keep two pages; reader and writer must
// agree on the page size and the width of the size prefix (nothing on the
// wire says which). The reader decodes what python-lz4's does, but hands
// LZ4 exactly the writer's window (see Lz4StreamDecompressor::next()).
//
// Two layers: a push API (Lz4StreamCompressor, Lz4StreamDecompressor) that
// an event loop drives with buffers, and stream adapters over it
// (Lz4OutputStream, Lz4InputStream) under which RecordWriter and RecordReader
// work unchanged. Errors in compressed input are DecodeError with the offset
// of the offending block's size prefix in the compressed stream.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <span>

#include "crous/error.hpp"
#include "crous/stream.hpp"
#include "crous/value.hpp"

namespace crous {

struct Lz4Format {
  static constexpr std::size_t min_page_size = 64;
  static constexpr std::size_t max_page_size = 4 * 1024 * 1024;

  std::size_t page_size = 64 * 1024;  // the most one block decompresses to; both sides must agree
  unsigned size_bytes = 4;            // width of each block's little-endian size prefix: 1, 2 or 4

  // Throws std::invalid_argument: width not 1/2/4, page_size outside
  // [min_page_size, max_page_size], or a block of a full page could not be
  // sized in size_bytes (LZ4_compressBound(page_size) > 2^(8 * size_bytes) - 1).
  void validate() const;
  // LZ4_compressBound(page_size): the most a valid block can take, so the
  // largest size prefix a reader accepts.
  std::size_t block_bound() const;
  // size_bytes + block_bound(): the most one block takes on the wire.
  std::size_t max_block_bytes() const { return size_bytes + block_bound(); }

  friend bool operator==(const Lz4Format&, const Lz4Format&) = default;
};

// python-lz4's double_buffer compressor. A push API (no stream underneath) so
// that a server can drive it from an event loop. Each block's data is placed
// at the start of the page the block before did not use, then compressed
// with LZ4_compress_fast_continue; so one compress() call of python-lz4 is
// one flush() here, and the same calls give the same bytes with the same
// LZ4 version.
class Lz4StreamCompressor {
 public:
  explicit Lz4StreamCompressor(Lz4Format format = {}, int acceleration = 1);
  ~Lz4StreamCompressor();
  Lz4StreamCompressor(Lz4StreamCompressor&&) noexcept;
  Lz4StreamCompressor& operator=(Lz4StreamCompressor&&) noexcept;

  // Appends `data`; each page that fills up is compressed as one block
  // appended to `out`.
  void write(std::span<const std::uint8_t> data, Bytes& out);
  // Compresses the partly filled page, if any, as one block into `out`:
  // after it the peer can decompress everything written so far.
  void flush(Bytes& out);

  std::size_t pending() const noexcept { return fill_; }  // bytes written but not yet in a block
  std::size_t memory() const noexcept;                   // bytes held (pages + LZ4 state), for accounting
  std::uint64_t bytes_written() const noexcept { return bytes_written_; }        // uncompressed, in total
  std::uint64_t bytes_compressed() const noexcept { return bytes_compressed_; }  // on the wire so far, prefixes included
  const Lz4Format& format() const noexcept { return format_; }

 private:
  struct State;  // LZ4_stream_t, kept out of this header
  struct StateDeleter {
    void operator()(State* state) const noexcept;
  };

  void compress_page(Bytes& out);

  Lz4Format format_;
  int acceleration_;
  std::unique_ptr<std::uint8_t[]> pages_;  // two pages, contiguous (as python-lz4: LZ4 may match across them)
  std::unique_ptr<State, StateDeleter> state_;
  unsigned page_ = 0;     // the page being filled
  std::size_t fill_ = 0;  // bytes in it
  std::uint64_t bytes_written_ = 0;
  std::uint64_t bytes_compressed_ = 0;
};

// The reading side. Owns its input buffer and the two pages (msgpack-c
// unpacker shape): compressed bytes go in by append() or fill(), each
// block's data comes out of next().
//
// Memory: the two pages and the compressed bytes not yet taken. fill()
// reads at most what completes one block of max_block_bytes(), so a reader
// that uses it holds two pages plus one compressed block; append() takes
// whatever it is given, so a caller that appends reads of at most
// max_block_bytes() and drains next() after each holds at most two pages
// plus two blocks. A hostile block cannot make it hold more: a size prefix
// beyond the block bound is refused as soon as it arrives, and output never
// exceeds the page.
class Lz4StreamDecompressor {
 public:
  explicit Lz4StreamDecompressor(Lz4Format format = {});
  ~Lz4StreamDecompressor();
  Lz4StreamDecompressor(Lz4StreamDecompressor&&) noexcept;
  Lz4StreamDecompressor& operator=(Lz4StreamDecompressor&&) noexcept;

  // Copies `compressed` in after the buffered bytes.
  void append(std::span<const std::uint8_t> compressed);
  // Reads once from `upstream`, at most what the buffer lacks to hold one
  // whole block of max_block_bytes(); false at end of stream.
  bool fill(InputStream& upstream);

  // The next block's decompressed bytes (in a page: valid until the next
  // call to next(); may be empty for an empty block), or nullopt
  // when no whole block is buffered yet. Throws DecodeError (offset: of the
  // block's size prefix in the compressed stream): bad_block for a size
  // prefix of 0 or beyond the block bound (thrown as soon as the prefix is
  // in), a block that does not decompress or decompresses to more than a
  // page. After an error every call throws it again: the stream cannot be
  // decoded past a bad block.
  std::optional<std::span<const std::uint8_t>> next();

  std::size_t buffered() const noexcept { return end_ - begin_; }  // compressed bytes waiting
  std::uint64_t offset() const noexcept { return offset_; }        // compressed bytes consumed so far
  std::uint64_t bytes_decompressed() const noexcept { return bytes_decompressed_; }
  std::size_t memory() const noexcept;
  // Call at end of input: throws DecodeError(truncated, offset of the cut
  // block's size prefix) if part of a block is buffered. UsageError if a
  // whole block is still buffered (call next() until nullopt first).
  void finish() const;
  const Lz4Format& format() const noexcept { return format_; }

 private:
  std::size_t declared_size() const noexcept;  // the size prefix at begin_ (buffered() >= size_bytes)
  std::optional<DecodeError> size_error(std::size_t size) const;  // a size prefix of 0 or beyond the bound
  void reserve(std::size_t more);               // room for `more` bytes after end_
  [[noreturn]] void fail(ErrorCode code, std::string message);

  Lz4Format format_;
  std::size_t block_bound_;
  std::unique_ptr<std::uint8_t[]> pages_;  // two pages, contiguous, as the writer's
  unsigned page_ = 0;                      // where the next block goes
  // The gapless run of output that ends with the previous block (the
  // dictionary), in pages_; null before the first block.
  const std::uint8_t* run_start_ = nullptr;
  const std::uint8_t* prev_end_ = nullptr;
  std::unique_ptr<std::uint8_t[]> input_;
  std::size_t capacity_ = 0;
  std::size_t begin_ = 0;  // input_[begin_, end_) not consumed
  std::size_t end_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t bytes_decompressed_ = 0;
  std::optional<DecodeError> error_;
};

// Compresses everything written to it into `downstream`. Bytes are gathered
// in the compressor's page (this stream buffers nothing of its own), a full
// page leaves as a block at once, and flush() ends the current block and
// flushes downstream: "the peer can read this record now" still holds.
// Each flush of a partly filled page costs a block (its size prefix, and a
// fresh page for the next data): flush per record for latency, per batch
// for ratio.
class Lz4OutputStream final : public OutputStream {
 public:
  explicit Lz4OutputStream(OutputStream& downstream, Lz4Format format = {}, int acceleration = 1);
  ~Lz4OutputStream() override { flush_noexcept(); }

  const Lz4StreamCompressor& compressor() const noexcept { return compressor_; }

 protected:
  void sink(const std::uint8_t* data, std::size_t size) override;
  void sync() override;

 private:
  void pass_on();  // the compressed bytes made so far, downstream

  OutputStream& downstream_;
  Lz4StreamCompressor compressor_;
  Bytes compressed_;
};

// Decompresses `upstream`. A stream that ends inside a block throws
// DecodeError(truncated); read() returns 0 only at a clean end, after a
// whole block. Offsets in errors count compressed bytes.
class Lz4InputStream final : public InputStream {
 public:
  explicit Lz4InputStream(InputStream& upstream, Lz4Format format = {});

  std::size_t read(std::uint8_t* dst, std::size_t size) override;
  const Lz4StreamDecompressor& decompressor() const noexcept { return decompressor_; }

 private:
  InputStream& upstream_;
  Lz4StreamDecompressor decompressor_;
  std::span<const std::uint8_t> block_;  // what read() has not handed out of the current block
  bool ended_ = false;
};

}  // namespace crous
