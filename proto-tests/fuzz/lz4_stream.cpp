// lz4_stream: LZ4 stream compression both ways on the same input.
//
// Read as a compressed stream (what a hostile peer sends): the push API fed
// in reads of random sizes and the Lz4InputStream adapter read in random
// sizes give the same bytes and the same end (clean, or the same error code
// and offset) as the push API given everything at once; every block is at
// most a page; memory stays within two pages plus one block (adapter) or
// two blocks (push API fed reads of at most one block). Whatever decodes
// cleanly, compressed again with the same block boundaries, decodes to the
// same bytes.
//
// Read as plain bytes (what we send): compressed in writes of random sizes
// with flushes at random points, every flush makes everything written so
// far decodable by a peer holding only whole blocks, and the whole stream
// decodes to the input with our reader and with a decoder written on LZ4's
// block API (support/lz4_reference_decoder.hpp).
//
// Knobs (first four bytes):
//   byte 0  largest read (1..256 bytes)
//   byte 1  seed of the read sizes and the flush points
//   byte 2  bits 0-2: page size (64, 128, 200, 256, 1024, 4096, 8192, 65536);
//           bits 3-4: size prefix width (4, 2, 1, 4), widened until the page's
//           block bound fits it
//   byte 3  chance of a flush after each write, in 256ths (0: only at the end)
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "crous/lz4_stream.hpp"
#include "lz4_reference_decoder.hpp"
#include "support/fuzz_check.hpp"
#include "support/planned_input_stream.hpp"
#include "support/read_plan.hpp"

using namespace crous;

namespace {

struct Knobs {
  std::size_t max_read;
  std::uint64_t seed;
  Lz4Format format;
  unsigned flush_chance;
  ByteView stream;

  Knobs(const std::uint8_t* data, std::size_t size) {
    const auto knob = [&](std::size_t i) -> std::uint8_t { return i < size ? data[i] : 0; };
    static constexpr std::size_t pages[] = {64, 128, 200, 256, 1024, 4096, 8192, 65536};
    static constexpr unsigned widths[] = {4, 2, 1, 4};
    max_read = std::size_t{knob(0)} + 1;
    seed = knob(1);
    format.page_size = pages[knob(2) & 7];
    format.size_bytes = widths[(knob(2) >> 3) & 3];
    while (format.block_bound() > (std::uint64_t{1} << (8 * format.size_bytes)) - 1) format.size_bytes *= 2;
    flush_chance = knob(3);
    stream = size > 4 ? ByteView(data + 4, size - 4) : ByteView();
  }
};

struct Decoded {
  Bytes bytes;
  std::vector<std::size_t> block_sizes;
  std::optional<DecodeError> error;
};

std::string where(const std::optional<DecodeError>& error) { return error ? error->what() : std::string("clean end"); }

void check_same(const Decoded& got, const Decoded& want, const char* path) {
  FUZZ_CHECK(got.bytes == want.bytes, std::string(path) + ": different bytes");
  FUZZ_CHECK(got.error.has_value() == want.error.has_value(), std::string(path) + ": " + where(got.error) + " vs " + where(want.error));
  if (got.error) {
    FUZZ_CHECK(got.error->code() == want.error->code() && got.error->offset() == want.error->offset(),
               std::string(path) + ": " + got.error->what() + " vs " + want.error->what());
  }
}

Decoded decode_whole(ByteView stream, const Lz4Format& format) {
  Decoded out;
  Lz4StreamDecompressor decompressor(format);
  decompressor.append(stream);
  try {
    while (auto block = decompressor.next()) {
      FUZZ_CHECK(block->size() <= format.page_size, "a block larger than the page");
      out.bytes.insert(out.bytes.end(), block->begin(), block->end());
      out.block_sizes.push_back(block->size());
    }
    decompressor.finish();
  } catch (const DecodeError& e) {
    out.error = e;
  }
  return out;
}

Decoded decode_in_reads(ByteView stream, const Knobs& knobs) {
  Decoded out;
  Lz4StreamDecompressor decompressor(knobs.format);
  fuzz::ReadPlan reads(knobs.seed, knobs.max_read);
  // Two pages; a partial block plus one read, or two blocks (its geometric growth stops there).
  const std::size_t block = knobs.format.max_block_bytes();
  const std::size_t bound = 2 * knobs.format.page_size + std::max(2 * block, block + knobs.max_read);
  try {
    for (std::size_t pos = 0; pos < stream.size();) {
      const std::size_t n = std::min(reads.next(), stream.size() - pos);
      decompressor.append(stream.subspan(pos, n));
      pos += n;
      while (auto block = decompressor.next()) out.bytes.insert(out.bytes.end(), block->begin(), block->end());
      FUZZ_CHECK(decompressor.memory() <= bound, "push API holds " + std::to_string(decompressor.memory()) + " bytes");
    }
    decompressor.finish();
  } catch (const DecodeError& e) {
    out.error = e;
  }
  return out;
}

Decoded decode_adapter(ByteView stream, const Knobs& knobs) {
  Decoded out;
  fuzz::PlannedInputStream upstream(stream, fuzz::ReadPlan(knobs.seed + 1, knobs.max_read));
  Lz4InputStream in(upstream, knobs.format);
  fuzz::ReadPlan reads(knobs.seed + 2, knobs.max_read);
  const std::size_t bound = 2 * knobs.format.page_size + knobs.format.max_block_bytes();
  std::vector<std::uint8_t> buffer(256);
  try {
    while (const std::size_t n = in.read(buffer.data(), reads.next())) {
      out.bytes.insert(out.bytes.end(), buffer.begin(), buffer.begin() + static_cast<std::ptrdiff_t>(n));
      FUZZ_CHECK(in.decompressor().memory() <= bound, "adapter holds " + std::to_string(in.decompressor().memory()) + " bytes");
    }
  } catch (const DecodeError& e) {
    out.error = e;
  }
  return out;
}

// The input as plain bytes: writes of random sizes, random flushes.
void compress_and_check(ByteView plain, const Knobs& knobs) {
  Lz4StreamCompressor compressor(knobs.format);
  Lz4StreamDecompressor peer(knobs.format);
  fuzz::ReadPlan writes(knobs.seed + 3, knobs.max_read);
  fuzz::ReadPlan flushes(knobs.seed + 4, 256);
  Bytes wire;
  Bytes received;
  std::size_t sent = 0;  // wire bytes the peer has
  for (std::size_t pos = 0; pos < plain.size();) {
    const std::size_t n = std::min(writes.next(), plain.size() - pos);
    compressor.write(plain.subspan(pos, n), wire);
    pos += n;
    const bool flush = pos == plain.size() || flushes.next() <= knobs.flush_chance;
    if (!flush) continue;
    compressor.flush(wire);
    FUZZ_CHECK(compressor.pending() == 0, "flush left bytes pending");
    peer.append({wire.data() + sent, wire.size() - sent});
    sent = wire.size();
    while (auto block = peer.next()) received.insert(received.end(), block->begin(), block->end());
    FUZZ_CHECK(peer.buffered() == 0, "a flush ended inside a block");
    FUZZ_CHECK(received.size() == pos && std::equal(received.begin(), received.end(), plain.begin()),
               "after a flush the peer cannot read everything written so far");
  }
  FUZZ_CHECK(compressor.bytes_written() == plain.size() && compressor.bytes_compressed() == wire.size(), "compressor counters");
  try {
    FUZZ_CHECK(test::independent_lz4_decode(wire, knobs.format) == Bytes(plain.begin(), plain.end()),
               "the block-API decoder reads other bytes");
  } catch (const std::runtime_error& e) {
    FUZZ_CHECK(false, std::string("the block-API decoder fails: ") + e.what());
  }
}

// What decoded cleanly, compressed again block for block, decodes the same.
void recompress_and_check(const Decoded& decoded, const Lz4Format& format) {
  Lz4StreamCompressor compressor(format);
  Bytes wire;
  std::size_t pos = 0;
  for (const std::size_t size : decoded.block_sizes) {
    compressor.write({decoded.bytes.data() + pos, size}, wire);
    compressor.flush(wire);
    pos += size;
  }
  const Decoded again = decode_whole(wire, format);
  FUZZ_CHECK(!again.error && again.bytes == decoded.bytes, "recompressed stream decodes differently: " + where(again.error));
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const Knobs knobs(data, size);
  const Decoded whole = decode_whole(knobs.stream, knobs.format);
  check_same(decode_in_reads(knobs.stream, knobs), whole, "push API in reads");
  check_same(decode_adapter(knobs.stream, knobs), whole, "Lz4InputStream");
  if (!whole.error) recompress_and_check(whole, knobs.format);
  compress_and_check(knobs.stream, knobs);
  return 0;
}
