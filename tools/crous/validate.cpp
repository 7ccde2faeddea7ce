// crous validate: checks every record completely, stops at the first bad one.
#include <cstdio>

#include "args.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "compression_options.hpp"
#include "input.hpp"
#include "each_record.hpp"

namespace crous::cli {

namespace {

constexpr const char* help = R"(usage: crous validate [-q] [--from flux|crout|json] [--decompress lz4] [--lz4-page BYTES]
                      [--lz4-width 1|2|4] [INPUT]

Checks that every record of INPUT is valid: structure, declared sizes,
nesting depth, UTF-8, and (CROUT) syntax. Prints a one-line summary.

  -q, --quiet    print nothing on success
  --from FORMAT  input format (default: detected; JSON needs --from json)
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

}  // namespace

int run_validate(int argc, char** argv) {
  const Args args(argc, argv, {{"-q", false}, {"--quiet", false}, {"--help", false}, {"-h", false}}, {input_option_specs()});
  if (args.printed_help(help)) return exit_ok;
  Input in(args.input());
  json::RecordSource source(in, in.format(input_options(args)));
  std::uint64_t records = 0;
  for_each_record(source, in.name(), [&] {
    // CROUT text and JSON are fully checked by reading them; FLUX framing
    // does not look inside strings, so decode to check UTF-8 too.
    if (source.format() == json::Format::flux) source.value();
    ++records;
  });
  if (!args.flag("-q") && !args.flag("--quiet")) {
    std::string format(json::format_name(source.format()));
    if (const auto lz4 = in.compression())
      format += ", read as an LZ4 stream with " + std::to_string(lz4->page_size) + "-byte pages, " + std::to_string(lz4->size_bytes) + "-byte sizes";
    std::printf("%s: %llu records, all valid (%s)\n", in.name().c_str(), static_cast<unsigned long long>(records), format.c_str());
  }
  return exit_ok;
}

}  // namespace crous::cli
