#include "proxy_header.hpp"

#include <algorithm>
#include <cstring>

namespace crous::server::detail {
namespace {

constexpr std::uint8_t kSignature[12] = {0x0d, 0x0a, 0x0d, 0x0a, 0x00, 0x0d, 0x0a, 0x51, 0x55, 0x49, 0x54, 0x0a};

// Byte 12: version (high nibble) and command; byte 13: address family
// (high nibble: 0 AF_UNSPEC, then these) and transport (0 unspecified, 1
// stream, 2 datagram).
constexpr std::uint8_t kCommandLocal = 0x0;
constexpr std::uint8_t kCommandProxy = 0x1;
constexpr std::uint8_t kFamilyInet = 0x1;
constexpr std::uint8_t kFamilyInet6 = 0x2;
constexpr std::uint8_t kFamilyUnix = 0x3;
constexpr std::uint8_t kTransportDgram = 0x2;
// The address block of each family: source and destination address, then
// (IP families) source and destination port.
constexpr std::size_t kInetBlock = 4 + 4 + 2 + 2;
constexpr std::size_t kInet6Block = 16 + 16 + 2 + 2;
constexpr std::size_t kUnixBlock = 108 + 108;

std::string hex_byte(std::uint8_t b) {
  static constexpr char hex[] = "0123456789abcdef";
  return std::string("0x") + hex[b >> 4] + hex[b & 15];
}

// What a connection that does not start with the signature most likely is.
std::string what_instead(std::uint8_t first) {
  switch (first) {
    case 'P':
      return "the text header of PROXY protocol v1, which this server does not accept (HAProxy: use send-proxy-v2, "
             "not send-proxy)";
    case 'F':
    case 'C':
      return "a Crous record without a PROXY header: a client connecting directly, not through the proxy?";
    case 0x16:
      return "a TLS handshake without a PROXY header: a client connecting directly, not through the proxy?";
    default:
      return "not the PROXY protocol v2 signature (first byte " + hex_byte(first) + ")";
  }
}

std::uint16_t big_endian16(const std::uint8_t* p) noexcept { return static_cast<std::uint16_t>(p[0] << 8 | p[1]); }

}  // namespace

std::span<std::uint8_t> ProxyHeader::room() noexcept {
  if (state_ != State::reading) return {};
  return {bytes_.data() + received_, expected() - received_};
}

ProxyHeader::State ProxyHeader::commit(std::size_t n) {
  if (state_ != State::reading) return state_;
  received_ += std::min(n, expected() - received_);
  if (check_signature() != State::reading) return state_;
  if (received_ == fixed_size && payload_ == 0) {
    if (check_fixed_part() != State::reading) return state_;
    if (payload_ != 0) return state_;  // now the rest, as declared
  }
  if (received_ == expected()) return finish();
  return state_;
}

ProxyHeader::State ProxyHeader::fail(std::string why) {
  state_ = State::invalid;
  error_ = std::move(why);
  return state_;
}

ProxyHeader::State ProxyHeader::check_signature() {
  const std::size_t n = std::min(received_, sizeof kSignature);
  if (std::memcmp(bytes_.data(), kSignature, n) == 0) return state_;
  return fail(what_instead(bytes_[0]));
}

ProxyHeader::State ProxyHeader::check_fixed_part() {
  const std::uint8_t version = bytes_[12] >> 4;
  const std::uint8_t command = bytes_[12] & 0x0f;
  family_ = bytes_[13] >> 4;
  const std::uint8_t transport = bytes_[13] & 0x0f;
  const std::size_t length = big_endian16(&bytes_[14]);
  if (version != 2) return fail("version " + std::to_string(version) + " in the header (only 2 exists)");
  if (command != kCommandLocal && command != kCommandProxy)
    return fail("unknown command " + std::to_string(command) + " (0 LOCAL and 1 PROXY exist)");
  if (family_ > kFamilyUnix) return fail("unknown address family " + std::to_string(family_));
  if (transport > kTransportDgram) return fail("unknown transport " + std::to_string(transport));
  if (length > max_payload)
    return fail("the header declares " + std::to_string(length) + " bytes after its fixed part, more than the " +
                std::to_string(max_payload) + " accepted");
  local_ = command == kCommandLocal;
  if (!local_) {
    // A LOCAL header's addresses are ignored whatever it declares; a PROXY
    // header must hold the addresses of its family.
    const std::size_t block = family_ == kFamilyInet ? kInetBlock
                              : family_ == kFamilyInet6 ? kInet6Block
                              : family_ == kFamilyUnix  ? kUnixBlock
                                                        : 0;
    if (length < block)
      return fail("the header declares " + std::to_string(length) + " bytes after its fixed part, fewer than its " +
                  "address family needs (" + std::to_string(block) + ")");
    if (transport == kTransportDgram) return fail("a datagram (UDP) connection: this server speaks TCP");
  }
  payload_ = length;
  return state_;
}

ProxyHeader::State ProxyHeader::finish() {
  state_ = State::done;
  if (local_) return state_;
  const std::uint8_t* block = bytes_.data() + fixed_size;
  namespace ip = boost::asio::ip;
  if (family_ == kFamilyInet) {
    ip::address_v4::bytes_type address;
    std::memcpy(address.data(), block, address.size());
    source_.emplace(ip::address_v4(address), big_endian16(block + 8));
  } else if (family_ == kFamilyInet6) {
    ip::address_v6::bytes_type address;
    std::memcpy(address.data(), block, address.size());
    source_.emplace(ip::address_v6(address), big_endian16(block + 32));
  }
  // AF_UNSPEC, AF_UNIX: no IP address to use; TLVs: skipped.
  return state_;
}

}  // namespace crous::server::detail
