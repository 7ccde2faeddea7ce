#pragma once
// Frames and decodes the responses arriving on a connection. Network bytes
// are appended with prepare()/commit(); next() hands back each complete
// record. Shared by the synchronous and the asynchronous client.
//
// After start_lz4() (the server chose LZ4 in the hello) the network bytes
// are an LZ4 stream: they are decompressed one block at a time, as next()
// needs them, so what is held is the compressed bytes read, two pages and
// at most one unfinished record plus one block of decompressed bytes.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>

#include "crous/client/error.hpp"
#include "crous/limits.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/record_buffer.hpp"
#include "crous/value.hpp"

namespace crous::client::detail {

class ResponseReader {
 public:
  explicit ResponseReader(const Limits& limits);

  // Writable space for at least one network read.
  std::span<std::uint8_t> prepare();
  void commit(std::size_t bytes);

  // The next complete response, or nullopt until more bytes arrive. Throws
  // ClientError(malformed_response) when the bytes are not valid FLUX, or
  // (compressed) when the LZ4 stream does not decompress.
  std::optional<Value> next();

  // Every byte after the record next() returned last is an LZ4 stream in
  // `format`, including any already received.
  void start_lz4(const Lz4Format& format);
  bool decompressing() const noexcept { return lz4_.has_value(); }

  // The error for an end of stream with `outstanding` responses still due:
  // truncated_response inside a record (or an LZ4 block), connection_closed
  // between records.
  ClientError end_of_stream(std::size_t outstanding, const std::string& peer) const;

  // True while some bytes of a response are buffered but not yet returned.
  bool mid_record() const noexcept { return !buffer_.empty() || (lz4_ && lz4_->buffered() != 0); }

  // True once any response byte arrived on this connection (over TLS: the
  // handshake was accepted by the server, see read_error()).
  bool received_any() const noexcept { return received_any_; }

 private:
  RecordBuffer buffer_;  // plain: the network bytes; compressed: the decompressed ones
  std::optional<Lz4StreamDecompressor> lz4_;
  Bytes wire_;  // compressed: where a network read lands before it is appended to lz4_
  bool received_any_ = false;
};

}  // namespace crous::client::detail
