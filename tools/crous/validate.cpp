// crous validate: checks every record completely, stops at the first bad one.
#include <cstdio>

#include "crous/cli/args.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "compression_options.hpp"
#include "crous/json/item_source.hpp"
#include "crous/json/record_source.hpp"
#include "each_record.hpp"
#include "input.hpp"

namespace crous::cli {

namespace {

constexpr const char* help = R"(usage: crous validate [-q] [--from flux|crout|json] [--items] [--max-record-bytes BYTES]
                      [--decompress lz4] [--lz4-page BYTES] [--lz4-width 1|2|4] [INPUT]

Checks that every record of INPUT is valid: structure, declared sizes,
nesting depth, UTF-8, and (CROUT) syntax. Prints a one-line summary.

  -q, --quiet    print nothing on success
  --from FORMAT  input format (default: detected; JSON needs --from json)
  --items        check each record (a list, tuple or dict) item by item: FLUX
                 records larger than --max-record-bytes validate in memory
                 bounded by the largest item; the summary counts items too
  --max-record-bytes BYTES
                 the largest record accepted (65536, 64K, 16M, 1G; default
                 16M); with --items, the largest item
  --decompress lz4, --lz4-page BYTES, --lz4-width N
                 read an LZ4 stream (detected without --decompress; see
                 crous convert --help); a bad or cut LZ4 block is invalid input
  INPUT          a file, or - / nothing for stdin

Exit status:
  0  every record is valid (an empty input has no records and is valid)
  1  a record is invalid: the error, its record number and byte offset are
     printed on stderr
  2  usage error
  3  the input could not be opened or read
)";

std::uint64_t validate_records(json::RecordSource& source, const Input& in) {
  std::uint64_t records = 0;
  read_each(source, in.name(), [&] {
    // CROUT text and JSON are fully checked by reading them; FLUX framing
    // does not look inside strings, so decode to check UTF-8 too.
    if (source.format() == json::Format::flux) source.value();
    ++records;
  });
  return records;
}

// Every item is decoded (FLUX) or parsed with its record (CROUT, JSON).
std::uint64_t validate_items(json::ItemSource& source, const Input& in) {
  std::uint64_t items = 0;
  read_each(source, in.name(), [&] { ++items; });
  return items;
}

}  // namespace

int run_validate(int argc, char** argv) {
  const Args args(argc, argv, {{"-q", false}, {"--quiet", false}, {"--help", false}, {"-h", false}}, {input_option_specs()});
  if (args.printed_help(help)) return exit_ok;
  const InputOptions options = input_options(args);
  Input in(args.input());
  const json::Format format = in.format(options);
  std::string counts;
  if (options.items) {
    json::ItemSource source(in, format, options.limits);
    const std::uint64_t items = validate_items(source, in);
    counts = std::to_string(source.records()) + " records, " + std::to_string(items) + " items";
  } else {
    json::RecordSource source(in, format, options.limits);
    counts = std::to_string(validate_records(source, in)) + " records";
  }
  if (!args.flag("-q") && !args.flag("--quiet")) {
    std::string how(json::format_name(format));
    if (const auto lz4 = in.compression())
      how += ", read as an LZ4 stream with " + std::to_string(lz4->page_size) + "-byte pages, " + std::to_string(lz4->size_bytes) + "-byte sizes";
    std::printf("%s: %s, all valid (%s)\n", in.name().c_str(), counts.c_str(), how.c_str());
  }
  return exit_ok;
}

}  // namespace crous::cli
