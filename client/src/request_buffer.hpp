#pragma once
// Requests encoded and waiting to be written, back to back: the send half of
// a connection's record stream, shared by both clients. After start_lz4()
// (the server chose LZ4 in the hello) the requests go into one LZ4 stream
// instead, and wire() ends a block per write so that the server can read
// every request written.
#include <cstddef>
#include <optional>

#include "crous/flux.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/value.hpp"

namespace crous::client::detail {

class RequestBuffer {
 public:
  // From the next request on, everything is compressed in `format`. Only
  // while empty(): the switch point is a byte boundary both sides agree on.
  void start_lz4(const Lz4Format& format) { lz4_.emplace(format); }
  bool compressing() const noexcept { return lz4_.has_value(); }

  void append(const Value& request) {
    if (!lz4_) return encode_flux(request, bytes_);
    // Encoded whole before it enters the stream: what is compressed cannot
    // be taken back, so a request that fails to encode must leave no trace.
    plain_.clear();
    encode_flux(request, plain_);
    lz4_->write(plain_, bytes_);  // full pages leave as blocks at once
  }
  // A request encoded earlier (kept by a reconnecting client to write it on
  // whichever connection is open when its turn comes).
  void append_encoded(ByteView flux) {
    if (lz4_) {
      lz4_->write(flux, bytes_);
    } else {
      bytes_.insert(bytes_.end(), flux.begin(), flux.end());
    }
  }

  // The bytes of the next write. Compressed, the partly filled page is ended
  // as a block first: otherwise the last requests would stay here, and the
  // server would wait for them while the client waits for their answers.
  // One block per write (not per request) lets a batch share a block.
  Bytes& wire() {
    if (lz4_ && lz4_->pending() != 0) lz4_->flush(bytes_);
    return bytes_;
  }
  bool empty() const noexcept { return bytes_.empty() && (!lz4_ || lz4_->pending() == 0); }
  // After a write: its bytes are gone, the stream goes on.
  void clear() noexcept { bytes_.clear(); }
  // The connection is over: a new one starts plain.
  void reset() noexcept {
    bytes_.clear();
    lz4_.reset();
  }

 private:
  Bytes bytes_;                               // what wire() hands out (compressed, or the records themselves)
  Bytes plain_;                               // compressed: one encoded request on its way into the stream
  std::optional<Lz4StreamCompressor> lz4_;
};

}  // namespace crous::client::detail
