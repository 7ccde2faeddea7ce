#pragma once
// Frames and decodes the responses arriving on a connection. Network bytes
// are appended with prepare()/commit(); next() hands back each complete
// record. Shared by the synchronous and the asynchronous client.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

#include "crous/client/error.hpp"
#include "crous/limits.hpp"
#include "crous/record_buffer.hpp"
#include "crous/value.hpp"

namespace crous::client::detail {

class ResponseReader {
 public:
  explicit ResponseReader(const Limits& limits);

  // Writable space for at least one network read.
  std::span<std::uint8_t> prepare() { return buffer_.prepare(); }
  void commit(std::size_t bytes) noexcept {
    buffer_.commit(bytes);
    received_any_ = received_any_ || bytes != 0;
  }

  // The next complete response, or nullopt until more bytes arrive. Throws
  // ClientError(malformed_response) when the bytes are not valid FLUX.
  std::optional<Value> next();

  // The error for an end of stream with `outstanding` responses still due:
  // truncated_response inside a record, connection_closed between records.
  ClientError end_of_stream(std::size_t outstanding, const std::string& peer) const;

  // True while some bytes of a response are buffered but not yet returned.
  bool mid_record() const noexcept { return !buffer_.empty(); }

  // True once any response byte arrived on this connection (over TLS: the
  // handshake was accepted by the server, see read_error()).
  bool received_any() const noexcept { return received_any_; }

 private:
  RecordBuffer buffer_;
  bool received_any_ = false;
};

}  // namespace crous::client::detail
