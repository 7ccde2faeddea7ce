#pragma once
// The LZ4 layer of one connection, once its hello chose compression
// (docs/protocol.md, "Compression"): compressed bytes from the transport in,
// decompressed blocks out to the session's RecordBuffer; the session's
// responses in, compressed blocks out to the transport, one block flush per
// batch so the client can read every response written.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

#include "crous/lz4_stream.hpp"
#include "crous/value.hpp"

namespace crous::server::detail {

class Lz4Link {
 public:
  explicit Lz4Link(const Lz4Format& format) : input_(format), output_(format) {}

  // ---- input ----
  // A block not yet taken stays valid across this (the decompressor keeps
  // it until its next next()).
  void received(std::span<const std::uint8_t> compressed) { input_.append(compressed); }
  // The next decompressed block, the same one until take() (the session may
  // have to wait for memory before it can copy it). nullopt: no whole block
  // has arrived. Throws DecodeError (offset in the compressed stream).
  std::optional<std::span<const std::uint8_t>> block() {
    if (!block_) block_ = input_.next();
    return block_;
  }
  void take() noexcept { block_.reset(); }
  // Compressed bytes of a block not yet complete (or blocks not yet taken).
  std::size_t buffered() const noexcept { return input_.buffered(); }
  bool mid_block() const noexcept { return input_.buffered() != 0 || block_.has_value(); }
  // At the end of input: DecodeError(truncated) if it ended inside a block.
  void finish_input() const { input_.finish(); }

  // ---- output ----
  void compress(std::span<const std::uint8_t> plain, Bytes& wire) { output_.write(plain, wire); }
  void end_batch(Bytes& wire) { output_.flush(wire); }

  // Pages and LZ4 state of both directions, for the connection's footprint.
  std::size_t memory() const noexcept { return input_.memory() + output_.memory(); }

 private:
  Lz4StreamDecompressor input_;
  Lz4StreamCompressor output_;
  std::optional<std::span<const std::uint8_t>> block_;
};

}  // namespace crous::server::detail
