// flux_decode: whatever decode_flux accepts re-encodes to bytes that decode
// to an equal value; canonical input re-encodes byte for byte.
// Not promised: non-canonical input (flags, long varints, legacy small-int
// tags, repeated keys, CROU) re-encoding identically. See docs/fuzzing.md.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "crous/flux.hpp"
#include "support/flux_shape.hpp"
#include "support/fuzz_check.hpp"

using namespace crous;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  Value value;
  try {
    value = decode_flux(input);
  } catch (const DecodeError&) {
    return 0;
  }
  const Bytes encoded = encode_flux(value);
  Value again;
  try {
    again = decode_flux(encoded);
  } catch (const DecodeError& e) {
    FUZZ_CHECK(false, std::string("the re-encoded value does not decode: ") + e.what());
  }
  FUZZ_CHECK(again == value, "decode(encode(v)) != v for v = " + value.debug_string());
  if (fuzz::describe_flux(input).canonical) {
    FUZZ_CHECK(encoded.size() == size && std::equal(encoded.begin(), encoded.end(), data), "canonical input re-encodes differently");
  }
  return 0;
}
