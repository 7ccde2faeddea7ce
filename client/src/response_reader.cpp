#include "response_reader.hpp"

#include <cstring>
#include <string>

#include "crous/flux.hpp"

namespace crous::client::detail {

namespace {
constexpr std::size_t read_chunk = 64 * 1024;
}

ResponseReader::ResponseReader(const Limits& limits) : limits_(limits), scanner_(limits) {}

void ResponseReader::compact() {
  if (begin_ == 0) return;
  std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
  scanned_ -= begin_;
  end_ -= begin_;
  begin_ = 0;
}

std::span<std::uint8_t> ResponseReader::prepare() {
  // Move the partial record to the front only when that frees real room, so
  // a burst of small responses is not copied byte by byte.
  if (begin_ == end_ || begin_ >= buffer_.size() / 2) compact();
  if (buffer_.size() - end_ < read_chunk) buffer_.resize(end_ + read_chunk);
  return {buffer_.data() + end_, buffer_.size() - end_};
}

std::optional<Value> ResponseReader::next() {
  while (scanned_ < end_) {
    const auto result = scanner_.feed({buffer_.data() + scanned_, end_ - scanned_});
    scanned_ += result.consumed;
    if (result.status == RecordScanner::Status::error) {
      throw ClientError(ClientErrc::malformed_response, std::string("response is not a FLUX record: ") + scanner_.error().what());
    }
    if (result.status == RecordScanner::Status::complete) {
      const std::size_t start = begin_;
      begin_ = scanned_;
      try {
        return decode_flux(ByteView(buffer_.data() + start, scanner_.record_size()), limits_);
      } catch (const DecodeError& e) {
        throw ClientError(ClientErrc::malformed_response, std::string("response does not decode: ") + e.what());
      }
    }
  }
  return std::nullopt;
}

ClientError ResponseReader::end_of_stream(std::size_t outstanding, const std::string& peer) const {
  if (mid_record()) {
    return ClientError(ClientErrc::truncated_response,
                       peer + " closed the connection after " + std::to_string(end_ - begin_) +
                           " bytes of a response");
  }
  return ClientError(ClientErrc::connection_closed,
                     peer + " closed the connection with " + std::to_string(outstanding) + " response(s) outstanding");
}

}  // namespace crous::client::detail
