// FLUX v1 encoder. Two passes over the tree: the first computes the exact
// encoded size, the second writes into memory reserved once, so the hot
// loop has no capacity checks and no reallocation.
#include <bit>
#include <cstring>

#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "flux_format.hpp"

namespace crous {

namespace {

using namespace detail;

std::size_t encoded_size(const Value& v);

template <class Seq>
std::size_t sequence_size(const Seq& seq) {
  std::size_t n = 1 + varint_size(seq.size());
  for (const Value& item : seq) n += encoded_size(item);
  return n;
}

std::size_t encoded_size(const Value& v) {
  switch (v.kind()) {
    case Kind::null:
    case Kind::boolean: return 1;
    case Kind::integer: return 1 + varint_size(zigzag(v.as_int()));
    case Kind::floating: return 9;
    case Kind::string: return 1 + varint_size(v.as_string().size()) + v.as_string().size();
    case Kind::bytes: return 1 + varint_size(v.as_bytes().size()) + v.as_bytes().size();
    case Kind::list: return sequence_size(v.as_list());
    case Kind::tuple: return sequence_size(v.as_tuple());
    case Kind::dict: {
      const Dict& d = v.as_dict();
      std::size_t n = 1 + varint_size(d.size());
      for (const auto& [key, item] : d) n += varint_size(key.size()) + key.size() + encoded_size(item);
      return n;
    }
    case Kind::tagged: return 1 + varint_size(v.as_tagged().tag()) + encoded_size(v.as_tagged().value());
  }
  return 0;
}

std::uint8_t* put_blob(std::uint8_t* p, const void* data, std::size_t size) {
  p = put_varint(p, size);
  if (size != 0) std::memcpy(p, data, size);
  return p + size;
}

std::uint8_t* put_value(std::uint8_t* p, const Value& v);

template <class Seq>
std::uint8_t* put_sequence(std::uint8_t* p, std::uint8_t tag, const Seq& seq) {
  *p++ = tag;
  p = put_varint(p, seq.size());
  for (const Value& item : seq) p = put_value(p, item);
  return p;
}

std::uint8_t* put_value(std::uint8_t* p, const Value& v) {
  switch (v.kind()) {
    case Kind::null: *p++ = flux_tag::null; break;
    case Kind::boolean: *p++ = v.as_bool() ? flux_tag::true_ : flux_tag::false_; break;
    case Kind::integer:
      *p++ = flux_tag::integer;
      p = put_varint(p, zigzag(v.as_int()));
      break;
    case Kind::floating: {
      *p++ = flux_tag::floating;
      std::uint64_t bits = std::bit_cast<std::uint64_t>(v.as_float());
      if constexpr (std::endian::native == std::endian::big) bits = __builtin_bswap64(bits);
      std::memcpy(p, &bits, 8);
      p += 8;
      break;
    }
    case Kind::string:
      *p++ = flux_tag::string;
      p = put_blob(p, v.as_string().data(), v.as_string().size());
      break;
    case Kind::bytes:
      *p++ = flux_tag::bytes;
      p = put_blob(p, v.as_bytes().data(), v.as_bytes().size());
      break;
    case Kind::list: p = put_sequence(p, flux_tag::list, v.as_list()); break;
    case Kind::tuple: p = put_sequence(p, flux_tag::tuple, v.as_tuple()); break;
    case Kind::dict:
      *p++ = flux_tag::dict;
      p = put_varint(p, v.as_dict().size());
      for (const auto& [key, item] : v.as_dict()) {
        p = put_blob(p, key.data(), key.size());
        p = put_value(p, item);
      }
      break;
    case Kind::tagged:
      *p++ = flux_tag::tagged;
      p = put_varint(p, v.as_tagged().tag());
      p = put_value(p, v.as_tagged().value());
      break;
  }
  return p;
}

// Grows `out` by `extra` bytes without zero-filling twice on the hot path.
std::uint8_t* grow(Bytes& out, std::size_t extra) {
  const std::size_t old = out.size();
  out.resize(old + extra);
  return out.data() + old;
}

}  // namespace

void encode_flux_value(const Value& value, Bytes& out) {
  std::uint8_t* p = grow(out, encoded_size(value));
  put_value(p, value);
}

void encode_flux(const Value& value, Bytes& out) {
  std::uint8_t* p = grow(out, flux_header_size + encoded_size(value));
  std::memcpy(p, flux_magic, 4);
  p[4] = flux_version;
  p[5] = 0;
  put_value(p + flux_header_size, value);
}

Bytes encode_flux(const Value& value) {
  Bytes out;
  encode_flux(value, out);
  return out;
}

void encode_flux(const Value& value, OutputStream& out) {
  Bytes scratch;
  encode_flux(value, scratch);
  out.write(scratch.data(), scratch.size());
}

}  // namespace crous
