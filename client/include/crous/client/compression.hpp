#pragma once
// The hello that negotiates a connection's compression (docs/protocol.md,
// "Compression (hello)"). Both clients use it when Options::compression asks
// for more than none; it is public so that other code speaking the protocol
// on its own streams (crous-bench) negotiates exactly as the clients do:
//
//   write  encode_flux(hello_request(Compression::lz4))    -- plain
//   read   one record (plain), then
//   HelloAnswer answer = parse_hello_answer(record, Compression::lz4, "host:port");
//   if (answer.compression == Compression::lz4)
//     every byte after the hello, both ways, is an LZ4 stream in answer.format
#include <string_view>

#include "crous/client/error.hpp"
#include "crous/client/options.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/value.hpp"

namespace crous::client {

// {"op": "hello", "compression": ["lz4"]} for lz4; the list is empty for
// none (a hello that asks for nothing, which the server answers "none").
Value hello_request(Compression offered);

struct HelloAnswer {
  Compression compression = Compression::none;  // what the server chose
  Lz4Format format{};                           // with lz4: the page size and size-prefix width it announced
};

// What the server's answer to hello_request(offered) means. Throws
// ClientError(hello_failed), naming `peer`, when it is an error record (the
// server's code and message are in the text; unknown_op means a server that
// predates compression) or not a hello answer: not a dict, no "compression"
// string, a choice that was not offered, or an LZ4 format without a usable
// "page_size"/"size_bytes" (Lz4Format::validate).
HelloAnswer parse_hello_answer(const Value& answer, Compression offered, std::string_view peer);

}  // namespace crous::client
