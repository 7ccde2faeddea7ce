#pragma once
// The options that say how INPUT is read (format, LZ4 decompression, record
// limit, records or their items) and whether OUTPUT is LZ4-compressed,
// shared by the commands (docs/cli.md, "Compressed streams", "Huge records").
#include <optional>
#include <span>
#include <string>

#include "crous/cli/args.hpp"
#include "crous/limits.hpp"
#include "crous/lz4_stream.hpp"

namespace crous::cli {

struct InputOptions {
  std::optional<std::string> from;  // --from: the (decompressed) format, else detected
  bool decompress = false;          // --decompress lz4: the input is an LZ4 stream
  Lz4Format lz4;                    // --lz4-page, --lz4-width
  bool lz4_page_given = false;      // else 64 KiB, or for 1- and 2-byte sizes the largest page they allow
  bool lz4_width_given = false;     // else detection tries the widths 4, 2, 1
  Limits limits;                    // --max-record-bytes, else the codec's 16 MiB
  bool items = false;               // --items: each record's items, one at a time
};

// The largest page whose block bound a `size_bytes` prefix can say.
std::size_t largest_lz4_page(unsigned size_bytes);

// --from, --decompress, --lz4-page, --lz4-width, --max-record-bytes, --items.
std::span<const OptionSpec> input_option_specs() noexcept;
// --compress, plus --lz4-page and --lz4-width when they are not there yet.
std::span<const OptionSpec> output_option_specs() noexcept;

// Throw CliError(exit_usage) for bad values.
InputOptions input_options(const Args& args);
// --compress lz4: the format to write with; nullopt for plain output.
std::optional<Lz4Format> output_compression(const Args& args);

}  // namespace crous::cli
