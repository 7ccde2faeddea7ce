#include "input.hpp"

#include <algorithm>
#include <stdexcept>

#include "cli_error.hpp"

namespace crous::cli {

json::Format format_option(std::string_view name) {
  if (const auto format = json::parse_format(name)) return *format;
  usage_error("unknown format '" + std::string(name) + "' (expected flux, crout or json)");
}

Input::Input(const std::string& path) : file_(path) {}

json::Format Input::format(const InputOptions& options) {
  if (options.decompress) {
    // The probe finds the prefix width when it was not given: told that the
    // input is compressed, any first block that decompresses will do (JSON
    // has no header to look for).
    const auto found = options.lz4_width_given ? std::nullopt : probe_lz4(options, false);
    decompress(found.value_or(options.lz4));
  } else if (!options.from && !json::detect_format(raw_)) {
    // No header of ours: it may be compressed.
    if (const auto lz4 = probe_lz4(options, true)) decompress(*lz4);
  }
  if (options.from) return format_option(*options.from);
  json::PeekableInput& records = decompressed_ ? *decompressed_ : raw_;
  std::optional<json::Format> found;
  try {
    found = json::detect_format(records);
  } catch (const DecodeError& e) {  // the first LZ4 block is bad
    throw CliError(exit_invalid_data, name() + ": record 0: " + e.what());
  }
  if (found) return *found;
  if (compression_)
    throw CliError(exit_invalid_data, name() + ": record 0: bad_header at byte 0: the decompressed data is not FLUX, CROU or CROUT (for JSON use --from json)");
  throw CliError(exit_invalid_data, name() + ": record 0: bad_header at byte 0: not FLUX, CROU or CROUT data, nor an LZ4 stream of it "
                                             "(the first bytes match no header); for JSON use --from json, for an LZ4 stream "
                                             "--decompress lz4 (and --lz4-page if its pages are over 64 KiB)");
}

namespace {

// Whether `block` (size prefix included) decompresses, to data that starts
// with a header of ours if `want_header`.
bool first_block_fits(std::span<const std::uint8_t> block, const Lz4Format& format, bool want_header) {
  try {
    Lz4StreamDecompressor decompressor(format);
    decompressor.append(block);
    const auto data = decompressor.next();
    return data && !data->empty() &&
           (!want_header || json::detect_format(std::string_view(reinterpret_cast<const char*>(data->data()), data->size())));
  } catch (const DecodeError&) {
    return false;  // not a block with this width
  }
}

}  // namespace

// An LZ4 stream has no magic number, but its first block is a strong sign:
// a size prefix within the block bound, that many bytes present, and data
// that decompresses (and, `want_header`, starts with a header of ours).
// Each width is tried (4, 2, 1) unless one was given; the first block is at
// most one compressed page, peeked and then replayed. Without `want_header`
// (the input is said to be compressed), a width whose first block is cut
// short still wins over none, so that reading says "truncated".
std::optional<Lz4Format> Input::probe_lz4(const InputOptions& options, bool want_header) {
  std::optional<Lz4Format> cut;
  for (const unsigned width : {4u, 2u, 1u}) {
    Lz4Format format = options.lz4;
    if (!options.lz4_width_given) {
      format.size_bytes = width;
      // No page size given: 64 KiB, or the largest this width allows. A
      // reader with a larger page than the writer's decodes the same bytes,
      // or fails (bad_block) at the first block that needs the writer's
      // exact page, never reads other data (docs/protocol.md).
      if (!options.lz4_page_given) format.page_size = std::min<std::size_t>(64 * 1024, largest_lz4_page(width));
      try {
        format.validate();
      } catch (const std::invalid_argument&) {
        continue;  // the given page size needs a wider prefix
      }
    }
    const auto prefix = raw_.peek(format.size_bytes);
    std::size_t size = 0;
    for (unsigned i = 0; i < prefix.size(); ++i) size |= std::size_t{prefix[i]} << (8 * i);
    if (prefix.size() == format.size_bytes && size != 0 && size <= format.block_bound()) {
      const auto block = raw_.peek(format.size_bytes + size);
      if (block.size() < format.size_bytes + size) {
        if (!cut) cut = format;
      } else if (first_block_fits(block, format, want_header)) {
        return format;
      }
    }
    if (options.lz4_width_given) break;
  }
  return want_header ? std::nullopt : cut;
}

void Input::decompress(const Lz4Format& format) {
  compression_ = format;
  lz4_.emplace(raw_, format);
  decompressed_.emplace(*lz4_);
  records_ = &*decompressed_;
}

}  // namespace crous::cli
