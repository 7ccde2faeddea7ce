#pragma once
// A human-readable, annotated hex dump of one FLUX (or legacy CROU) record:
// one line per header, tag, key and varint-carrying item, indented by
// nesting. For debugging bytes on the wire (`crous inspect --hex`).
//
//   00000000  46 4c 55 58 01 00        header FLUX v1, flags 0x00
//   00000006  08 02                    dict, 2 entries
//   00000008  04 6e 61 6d 65             key "name"
//   0000000d  05 05 41 6c 69 63 65       string "Alice" (5 bytes)
#include <cstdint>
#include <string>

#include "crous/flux.hpp"
#include "crous/limits.hpp"

namespace crous {

// `base_offset` is added to every printed offset (the record's place in a
// stream). Throws DecodeError for a malformed record, after nothing is
// returned; use the message to see where it broke.
std::string annotate_flux(ByteView record, std::uint64_t base_offset = 0, const Limits& limits = {});

}  // namespace crous
