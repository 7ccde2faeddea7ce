#include <lz4.h>

#include <algorithm>
#include <cstring>
#include <string>

#include "crous/lz4_stream.hpp"

namespace crous {

namespace {

// What a block would decompress to, walking its sequences (LZ4 block
// format: token, literal length, literals, 2-byte offset, match length; the
// last sequence has literals only) without writing anything; nullopt if
// the sequences themselves are malformed. Only used to say why a block
// failed: LZ4 reports every failure alike.
std::optional<std::uint64_t> walked_size(const std::uint8_t* block, std::size_t size) {
  std::size_t i = 0;
  std::uint64_t out = 0;
  const auto length = [&](std::uint64_t nibble) -> std::optional<std::uint64_t> {
    if (nibble != 15) return nibble;
    for (;;) {
      if (i == size) return std::nullopt;
      const std::uint8_t more = block[i++];
      nibble += more;
      if (more != 255) return nibble;
    }
  };
  while (i < size) {
    const std::uint8_t token = block[i++];
    const auto literals = length(token >> 4);
    if (!literals || size - i < *literals) return std::nullopt;
    i += static_cast<std::size_t>(*literals);
    out += *literals;
    if (i == size) return out;
    if (size - i < 2) return std::nullopt;
    i += 2;
    const auto match = length(token & 15);
    if (!match) return std::nullopt;
    out += *match + 4;
  }
  return std::nullopt;  // ended with a match
}

std::string block_at(std::uint64_t offset) { return "LZ4 block at byte " + std::to_string(offset) + " of the compressed stream"; }

}  // namespace

struct Lz4StreamDecompressor::State {
  LZ4_streamDecode_t stream;
};

void Lz4StreamDecompressor::StateDeleter::operator()(State* state) const noexcept { delete state; }

Lz4StreamDecompressor::Lz4StreamDecompressor(Lz4Format format) : format_(format) {
  format_.validate();
  block_bound_ = format_.block_bound();
  // Not zero-filled: only the bytes blocks use become resident.
  pages_ = std::make_unique_for_overwrite<std::uint8_t[]>(2 * format_.page_size);
  state_.reset(new State);
  LZ4_setStreamDecode(&state_->stream, nullptr, 0);
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
  // Into alternating pages of one buffer, as the writer compressed them: the
  // previous block stays in place as the dictionary, and LZ4's decoding
  // state follows where it is.
  const int n = LZ4_decompress_safe_continue(&state_->stream, reinterpret_cast<const char*>(block), reinterpret_cast<char*>(page),
                                             static_cast<int>(size), static_cast<int>(format_.page_size));
  if (n < 0) {
    const auto walked = walked_size(block, size);
    if (walked && *walked > format_.page_size)
      fail(ErrorCode::bad_block, block_at(offset_) + " decompresses to " + std::to_string(*walked) + " bytes, more than the " +
                                     std::to_string(format_.page_size) + "-byte page (is the page size the writer's?)");
    fail(ErrorCode::bad_block, block_at(offset_) + " (" + std::to_string(size) + " bytes) does not decompress: " +
                                   (walked ? "it copies from outside the data before it (corrupt, or another page size)"
                                           : "its sequences are malformed"));
  }
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

std::size_t Lz4StreamDecompressor::memory() const noexcept { return 2 * format_.page_size + capacity_ + sizeof(State); }

}  // namespace crous
