#pragma once
// FLUX v1 binary encoding (and decoding of legacy CROU v2 documents).
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>

#include "crous/limits.hpp"
#include "crous/value.hpp"

namespace crous {

class OutputStream;

using ByteView = std::span<const std::uint8_t>;

inline ByteView as_bytes(std::string_view s) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

inline constexpr std::size_t flux_header_size = 6;

// Encodes one document (header + value), byte-identical to the original.
Bytes encode_flux(const Value& value);
// Appends one document to `out`.
void encode_flux(const Value& value, Bytes& out);
// Writes one document to a stream (buffered; call flush() on the stream).
void encode_flux(const Value& value, OutputStream& out);
// Appends only the value, without a header (for streaming writers).
void encode_flux_value(const Value& value, Bytes& out);

// Decodes exactly one document. Accepts FLUX v1 and legacy CROU v2 headers;
// anything after the document is ErrorCode::trailing_bytes. Throws DecodeError.
Value decode_flux(ByteView data, const Limits& limits = {});
inline Value decode_flux(std::string_view data, const Limits& limits = {}) { return decode_flux(as_bytes(data), limits); }

// Decodes the first document in `data` into `out` and returns its size in
// bytes; the rest of `data` is left alone (a stream of records).
std::size_t decode_flux_prefix(ByteView data, Value& out, const Limits& limits = {});

// Decodes one bare value (no header) in FLUX v1 tags at the front of `data`;
// returns the bytes used. Used by the lazy reader for items of a huge list.
std::size_t decode_flux_value(ByteView data, Value& out, const Limits& limits = {}, unsigned depth = 0);

}  // namespace crous
