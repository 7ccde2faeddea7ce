#include "crous/lz4_stream.hpp"

namespace crous {

// A one-byte base buffer: every write but single bytes goes straight to
// sink(), and the compressor's page does the buffering (one copy, not two).
Lz4OutputStream::Lz4OutputStream(OutputStream& downstream, Lz4Format format, int acceleration)
    : OutputStream(1), downstream_(downstream), compressor_(format, acceleration) {}

void Lz4OutputStream::sink(const std::uint8_t* data, std::size_t size) {
  compressor_.write({data, size}, compressed_);
  pass_on();
}

void Lz4OutputStream::sync() {
  compressor_.flush(compressed_);
  pass_on();
  downstream_.flush();
}

void Lz4OutputStream::pass_on() {
  if (compressed_.empty()) return;
  // Cleared even if downstream throws: those bytes are lost either way, and
  // a retry must not send them twice.
  try {
    downstream_.write(compressed_);
  } catch (...) {
    compressed_.clear();
    throw;
  }
  compressed_.clear();
}

}  // namespace crous
