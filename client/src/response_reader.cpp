#include "response_reader.hpp"

#include <string>

#include "crous/flux.hpp"

namespace crous::client::detail {

ResponseReader::ResponseReader(const Limits& limits) : buffer_(limits) {}

std::span<std::uint8_t> ResponseReader::prepare() {
  if (!lz4_) return buffer_.prepare();
  return {wire_.data(), wire_.size()};
}

void ResponseReader::commit(std::size_t bytes) {
  received_any_ = received_any_ || bytes != 0;
  if (!lz4_) return buffer_.commit(bytes);
  lz4_->append({wire_.data(), bytes});
}

void ResponseReader::start_lz4(const Lz4Format& format) {
  lz4_.emplace(format);
  wire_.resize(RecordBuffer::read_chunk);
  // Whatever came in the read that completed the hello answer is already
  // compressed. The records start over in a fresh buffer, so that offsets in
  // decode errors count the decompressed stream, as the server's do.
  lz4_->append(buffer_.unconsumed());
  const Limits limits = buffer_.limits();
  buffer_ = RecordBuffer(limits);
}

std::optional<Value> ResponseReader::next() {
  for (;;) {
    std::optional<std::span<const std::uint8_t>> record;
    try {
      record = buffer_.next();
    } catch (const DecodeError& e) {
      throw ClientError(ClientErrc::malformed_response, std::string("response is not a FLUX record: ") + e.what());
    }
    if (record) {
      try {
        return decode_flux(*record, buffer_.limits());
      } catch (const DecodeError& e) {
        throw ClientError(ClientErrc::malformed_response, std::string("response does not decode: ") + e.what());
      }
    }
    if (!lz4_) return std::nullopt;
    // One block at a time, and only once the records before it are taken:
    // the decompressed bytes held stay within the unfinished record plus
    // one page, however much compressed input is buffered (LZ4 expands up
    // to 255-fold, so decompressing all of it at once could be huge).
    std::optional<std::span<const std::uint8_t>> block;
    try {
      block = lz4_->next();
    } catch (const DecodeError& e) {
      throw ClientError(ClientErrc::malformed_response, std::string("response stream does not decompress: ") + e.what());
    }
    if (!block) return std::nullopt;
    buffer_.append(*block);
  }
}

ClientError ResponseReader::end_of_stream(std::size_t outstanding, const std::string& peer) const {
  if (lz4_ && lz4_->buffered() != 0) {
    return ClientError(ClientErrc::truncated_response,
                       peer + " closed the connection inside an LZ4 block of responses (" +
                           std::to_string(lz4_->buffered()) + " compressed bytes of it arrived)");
  }
  if (mid_record()) {
    return ClientError(ClientErrc::truncated_response,
                       peer + " closed the connection after " + std::to_string(buffer_.buffered()) +
                           " bytes of a response");
  }
  return ClientError(ClientErrc::connection_closed,
                     peer + " closed the connection with " + std::to_string(outstanding) + " response(s) outstanding");
}

}  // namespace crous::client::detail
