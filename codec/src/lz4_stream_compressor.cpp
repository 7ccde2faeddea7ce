#include <lz4.h>

#include <cstring>
#include <stdexcept>

#include "crous/lz4_stream.hpp"

namespace crous {

struct Lz4StreamCompressor::State {
  LZ4_stream_t stream;
};

void Lz4StreamCompressor::StateDeleter::operator()(State* state) const noexcept { delete state; }

Lz4StreamCompressor::Lz4StreamCompressor(Lz4Format format, int acceleration)
    : format_(format), acceleration_(acceleration < 1 ? 1 : acceleration) {
  format_.validate();
  // Not zero-filled: only the bytes blocks use become resident, which keeps
  // an idle connection that sends small records cheap.
  pages_ = std::make_unique_for_overwrite<std::uint8_t[]>(2 * format_.page_size);
  state_.reset(new State);
  LZ4_initStream(&state_->stream, sizeof state_->stream);
}

Lz4StreamCompressor::~Lz4StreamCompressor() = default;
Lz4StreamCompressor::Lz4StreamCompressor(Lz4StreamCompressor&&) noexcept = default;
Lz4StreamCompressor& Lz4StreamCompressor::operator=(Lz4StreamCompressor&&) noexcept = default;

void Lz4StreamCompressor::write(std::span<const std::uint8_t> data, Bytes& out) {
  bytes_written_ += data.size();
  while (!data.empty()) {
    const std::size_t n = std::min(format_.page_size - fill_, data.size());
    std::memcpy(pages_.get() + page_ * format_.page_size + fill_, data.data(), n);
    fill_ += n;
    data = data.subspan(n);
    if (fill_ == format_.page_size) compress_page(out);
  }
}

void Lz4StreamCompressor::flush(Bytes& out) {
  if (fill_ != 0) compress_page(out);
}

void Lz4StreamCompressor::compress_page(Bytes& out) {
  const int input = static_cast<int>(fill_);
  const int bound = LZ4_compressBound(input);
  const std::size_t start = out.size();
  const unsigned width = format_.size_bytes;
  out.resize(start + width + static_cast<std::size_t>(bound));
  // The page is where LZ4 finds it again as the next block's dictionary, so
  // the data must stay in place until the other page has been used.
  const int size = LZ4_compress_fast_continue(&state_->stream, reinterpret_cast<const char*>(pages_.get() + page_ * format_.page_size),
                                              reinterpret_cast<char*>(out.data() + start + width), input, bound, acceleration_);
  // With the whole bound as room LZ4 cannot fail, and validate() made sure
  // the bound fits the prefix.
  if (size <= 0) throw std::logic_error("LZ4_compress_fast_continue failed with the full bound as room");
  for (unsigned i = 0; i < width; ++i) out[start + i] = static_cast<std::uint8_t>(static_cast<unsigned>(size) >> (8 * i));
  out.resize(start + width + static_cast<std::size_t>(size));
  bytes_compressed_ += width + static_cast<std::size_t>(size);
  page_ ^= 1;
  fill_ = 0;
}

std::size_t Lz4StreamCompressor::memory() const noexcept { return 2 * format_.page_size + sizeof(State); }

}  // namespace crous
