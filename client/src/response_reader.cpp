#include "response_reader.hpp"

#include <string>

#include "crous/flux.hpp"

namespace crous::client::detail {

ResponseReader::ResponseReader(const Limits& limits) : buffer_(limits) {}

std::optional<Value> ResponseReader::next() {
  std::optional<std::span<const std::uint8_t>> record;
  try {
    record = buffer_.next();
  } catch (const DecodeError& e) {
    throw ClientError(ClientErrc::malformed_response, std::string("response is not a FLUX record: ") + e.what());
  }
  if (!record) return std::nullopt;
  try {
    return decode_flux(*record, buffer_.limits());
  } catch (const DecodeError& e) {
    throw ClientError(ClientErrc::malformed_response, std::string("response does not decode: ") + e.what());
  }
}

ClientError ResponseReader::end_of_stream(std::size_t outstanding, const std::string& peer) const {
  if (mid_record()) {
    return ClientError(ClientErrc::truncated_response,
                       peer + " closed the connection after " + std::to_string(buffer_.buffered()) +
                           " bytes of a response");
  }
  return ClientError(ClientErrc::connection_closed,
                     peer + " closed the connection with " + std::to_string(outstanding) + " response(s) outstanding");
}

}  // namespace crous::client::detail
