#pragma once
// What a well-formed FLUX record looks like on the wire beyond its value:
// whether it is canonical (exactly what encode_flux writes for its value)
// and whether a dict in it repeats a key. Only call it on bytes that
// decode_flux accepted.
#include "crous/flux.hpp"

namespace crous::fuzz {

struct FluxShape {
  bool flux = false;        // a FLUX v1 header (not legacy CROU)
  bool canonical = false;   // flux, zero flags, shortest varints, no legacy small-int tags, no repeated keys
  bool repeated_keys = false;
};

FluxShape describe_flux(ByteView record);

}  // namespace crous::fuzz
