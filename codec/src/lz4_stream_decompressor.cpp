#include <lz4.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "crous/lz4_stream.hpp"

namespace crous {

namespace {

// Adds the extension bytes of an LZ4 length whose 4-bit field was 15 (each
// byte adds itself; 255 means another follows). False if the block ends first.
bool extend_length(const std::uint8_t*& p, const std::uint8_t* end, std::uint64_t& length) {
  for (;;) {
    if (p == end) return false;
    const std::uint8_t more = *p++;
    length += more;
    if (more != 255) return true;
  }
}

// What a block decompresses to, walking its sequences (LZ4 block format:
// token, literal length, literals, 2-byte offset, match length; the last
// sequence has literals only) without writing anything; nullopt if the
// sequences themselves are malformed. Kept to a tight loop: a bulk stream
// walks every other block (see next()).
std::optional<std::uint64_t> walked_size(const std::uint8_t* p, std::size_t size) {
  const std::uint8_t* const end = p + size;
  std::uint64_t out = 0;
  while (p < end) {
    const unsigned token = *p++;
    std::uint64_t literals = token >> 4;
    if (literals == 15 && !extend_length(p, end, literals)) return std::nullopt;
    if (static_cast<std::uint64_t>(end - p) < literals) return std::nullopt;
    p += literals;
    out += literals;
    if (p == end) return out;
    if (end - p < 2) return std::nullopt;
    p += 2;
    std::uint64_t match = token & 15;
    if (match == 15 && !extend_length(p, end, match)) return std::nullopt;
    out += match + 4;
  }
  return std::nullopt;  // ended with a match
}

constexpr std::ptrdiff_t max_window = 65536;  // LZ4 offsets are 16-bit

std::string block_at(std::uint64_t offset) { return "LZ4 block at byte " + std::to_string(offset) + " of the compressed stream"; }

}  // namespace

Lz4StreamDecompressor::Lz4StreamDecompressor(Lz4Format format) : format_(format) {
  format_.validate();
  block_bound_ = format_.block_bound();
  // Not zero-filled: only the bytes blocks use become resident.
  pages_ = std::make_unique_for_overwrite<std::uint8_t[]>(2 * format_.page_size);
}

Lz4StreamDecompressor::~Lz4StreamDecompressor() = default;
Lz4StreamDecompressor::Lz4StreamDecompressor(Lz4StreamDecompressor&&) noexcept = default;
Lz4StreamDecompressor& Lz4StreamDecompressor::operator=(Lz4StreamDecompressor&&) noexcept = default;

void Lz4StreamDecompressor::append(std::span<const std::uint8_t> compressed) {
  if (compressed.empty()) return;
  reserve(compressed.size());
  std::memcpy(input_.get() + end_, compressed.data(), compressed.size());
  end_ += compressed.size();
}

bool Lz4StreamDecompressor::fill(InputStream& upstream) {
  const std::size_t whole = format_.max_block_bytes();
  const std::size_t want = buffered() < whole ? whole - buffered() : 1;
  reserve(want);
  const std::size_t n = upstream.read(input_.get() + end_, want);
  end_ += n;
  return n != 0;
}

void Lz4StreamDecompressor::reserve(std::size_t more) {
  if (capacity_ - end_ >= more) return;
  const std::size_t live = buffered();
  if (capacity_ - live >= more) {  // room enough once the consumed prefix is dropped
    std::memmove(input_.get(), input_.get() + begin_, live);
  } else {
    // Geometric growth up to two whole blocks (a partial block plus a read
    // of one), exact beyond: the bound the class promises.
    const std::size_t grown = std::min(2 * capacity_, 2 * format_.max_block_bytes());
    capacity_ = std::max(live + more, grown);
    auto bigger = std::make_unique_for_overwrite<std::uint8_t[]>(capacity_);
    if (live != 0) std::memcpy(bigger.get(), input_.get() + begin_, live);
    input_ = std::move(bigger);
  }
  begin_ = 0;
  end_ = live;
}

std::size_t Lz4StreamDecompressor::declared_size() const noexcept {
  std::size_t size = 0;
  for (unsigned i = 0; i < format_.size_bytes; ++i) size |= std::size_t{input_[begin_ + i]} << (8 * i);
  return size;
}

std::optional<DecodeError> Lz4StreamDecompressor::size_error(std::size_t size) const {
  const auto at = static_cast<std::size_t>(offset_);
  if (size == 0) return DecodeError(ErrorCode::bad_block, at, block_at(offset_) + " has size 0 (a block holds at least one byte)");
  if (size > block_bound_)
    return DecodeError(ErrorCode::bad_block, at,
                       block_at(offset_) + " declares " + std::to_string(size) + " bytes, more than the " + std::to_string(block_bound_) +
                           " a block of a " + std::to_string(format_.page_size) + "-byte page can take (is the page size the writer's?)");
  return std::nullopt;
}

void Lz4StreamDecompressor::fail(ErrorCode code, std::string message) {
  error_.emplace(code, static_cast<std::size_t>(offset_), std::move(message));
  throw *error_;
}

std::optional<std::span<const std::uint8_t>> Lz4StreamDecompressor::next() {
  if (error_) throw *error_;
  const unsigned width = format_.size_bytes;
  if (buffered() < width) return std::nullopt;
  // The prefix is checked as soon as it is in, not once the block it
  // announces has arrived: a hostile size must not make us wait for it.
  const std::size_t size = declared_size();
  if (auto error = size_error(size)) {
    error_ = std::move(error);
    throw *error_;
  }
  if (buffered() - width < size) return std::nullopt;

  const std::uint8_t* block = input_.get() + begin_ + width;
  std::uint8_t* page = pages_.get() + page_ * format_.page_size;
  const auto walk_failure = [&](std::optional<std::uint64_t> walked) {
    if (walked && *walked > format_.page_size)
      fail(ErrorCode::bad_block, block_at(offset_) + " decompresses to " + std::to_string(*walked) + " bytes, more than the " +
                                     std::to_string(format_.page_size) + "-byte page (is the page size the writer's?)");
    fail(ErrorCode::bad_block, block_at(offset_) + " (" + std::to_string(size) + " bytes) does not decompress: " +
                                   (walked ? "it copies from outside the data before it (corrupt, or another page size)"
                                           : "its sequences are malformed"));
  };
  // The writer's window (docs/protocol.md, "Dictionary rule"): the gapless
  // run of earlier output that ends with the previous block, at most the
  // 64 KiB LZ4 offsets reach. The writer never lets a block copy from the
  // bytes its own data overwrites; when the run passes through this page
  // (a full block two back, the previous block right after it), the block's
  // length is needed to know where the window starts. Giving LZ4 exactly
  // that, and exactly that much room, also keeps a hostile block from
  // copying between overlapping ranges (what LZ4_decompress_safe_continue
  // over the same buffer would do: undefined behaviour inside liblz4).
  const std::uint8_t* window = run_start_;
  std::size_t room = format_.page_size;
  if (window != nullptr && window <= page && page < prev_end_) {
    const auto walked = walked_size(block, size);
    if (!walked || *walked > room) walk_failure(walked);
    room = static_cast<std::size_t>(*walked);
    window = page + room;
  }
  if (prev_end_ - window > max_window) window = prev_end_ - max_window;
  const int n = LZ4_decompress_safe_usingDict(reinterpret_cast<const char*>(block), reinterpret_cast<char*>(page), static_cast<int>(size),
                                              static_cast<int>(room), reinterpret_cast<const char*>(window),
                                              static_cast<int>(prev_end_ - window));
  if (n < 0) walk_failure(walked_size(block, size));
  if (page != prev_end_) run_start_ = page;  // a gap: a new run starts here
  prev_end_ = page + n;
  begin_ += width + size;
  offset_ += width + size;
  if (begin_ == end_) begin_ = end_ = 0;
  bytes_decompressed_ += static_cast<std::uint64_t>(n);
  page_ ^= 1;
  return std::span<const std::uint8_t>(page, static_cast<std::size_t>(n));
}

void Lz4StreamDecompressor::finish() const {
  if (error_) throw *error_;
  const std::size_t have = buffered();
  if (have == 0) return;
  const unsigned width = format_.size_bytes;
  if (have < width)
    throw DecodeError(ErrorCode::truncated, static_cast<std::size_t>(offset_),
                      "compressed stream ends inside the size prefix of the block at byte " + std::to_string(offset_) + " (" +
                          std::to_string(have) + " of " + std::to_string(width) + " bytes)");
  const std::size_t size = declared_size();
  if (auto error = size_error(size)) throw *error;
  if (have - width >= size)
    throw UsageError("Lz4StreamDecompressor::finish() with a whole block buffered: call next() until it returns nullopt first");
  throw DecodeError(ErrorCode::truncated, static_cast<std::size_t>(offset_),
                    "compressed stream ends inside the " + block_at(offset_) + " (" + std::to_string(have - width) + " of its " +
                        std::to_string(size) + " bytes after the " + std::to_string(width) + "-byte size prefix)");
}

std::size_t Lz4StreamDecompressor::memory() const noexcept { return 2 * format_.page_size + capacity_; }

}  // namespace crous
