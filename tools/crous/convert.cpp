// crous convert: any supported format to any other, record by record.
#include <cstdio>

#include "crous/cli/args.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "compression_options.hpp"
#include "crous/json/item_source.hpp"
#include "crous/json/record_source.hpp"
#include "each_record.hpp"
#include "format_writer.hpp"
#include "input.hpp"
#include "output.hpp"
#include "progress.hpp"

namespace crous::cli {

namespace {

constexpr const char* help = R"(usage: crous convert --to crout|flux|json [--pretty] [--from flux|crout|json] [--items]
                     [--max-record-bytes BYTES] [--compress lz4] [--decompress lz4]
                     [--lz4-page BYTES] [--lz4-width 1|2|4] [INPUT] [-o OUTPUT]

Converts every record of INPUT to the --to format, one record at a time
(a stream of any length converts in constant memory).

  --to FORMAT      crout, flux or json (required)
  --from FORMAT    input format; by default detected from the first bytes
                   (FLUX, legacy CROU or CROUT1). JSON input needs --from json:
                   a sequence of JSON values separated by whitespace.
  --pretty         CROUT: one item per line, two-space indent; JSON: indented
  --items          write the items of each record (a list, tuple or dict) as
                   records of their own, a dict's entries as [key, value]:
                   --to json prints one item per line, like jq -c '.[]'.
                   FLUX is read item by item: memory is bounded by the
                   largest item, not the record
  --max-record-bytes BYTES
                   the largest record accepted (65536, 64K, 16M, 1G; default
                   16M); with --items, the largest item
  -o, --output F   write to F (created only if the whole conversion succeeds)
                   instead of stdout
  --compress lz4   write the output as an LZ4 stream (python-lz4's lz4.stream
                   format, docs/protocol.md)
  --decompress lz4 the input is an LZ4 stream; without it, an input that starts
                   with no FLUX/CROU/CROUT header but with an LZ4 block of one
                   is read as an LZ4 stream anyway
  --lz4-page BYTES LZ4 page size, both ways (default 64K; writer and reader
                   must agree)
  --lz4-width N    LZ4 block size prefix, 1, 2 or 4 bytes (writing: default 4;
                   reading: detected)
  INPUT            a file, or - / nothing for stdin

Text outputs end every record with a newline. JSON uses the mapping in
docs/cli.md ({"$bytes": ...}, {"$tuple": [...]}, {"$tag": N, "value": ...},
{"$float": "nan"}). Exit status: 0 ok, 1 invalid input, 2 usage, 3 I/O error.
)";

}  // namespace

int run_convert(int argc, char** argv) {
  const Args args(argc, argv, {{"--to", true}, {"--pretty", false}, {"-o", true}, {"--output", true}, {"--help", false}, {"-h", false}},
                  {input_option_specs(), output_option_specs()});
  if (args.printed_help(help)) return exit_ok;
  const auto to = args.value("--to");
  if (!to) usage_error("convert needs --to crout|flux|json");
  const json::Format target = format_option(*to);
  const InputOptions options = input_options(args);
  Input in(args.input());
  const json::Format source_format = in.format(options);
  Output out(args.value("-o").value_or(args.value("--output").value_or("-")), output_compression(args));

  FormatWriter writer(out, target, args.flag("--pretty"));
  if (options.items) {
    json::ItemSource source(in, source_format, options.limits);
    Progress progress(in, "converted", "items");
    read_each(source, in.name(), [&] {
      writer.write(source.value());
      progress.done_one();
    });
  } else {
    json::RecordSource source(in, source_format, options.limits);
    Progress progress(in, "converted");
    read_each(source, in.name(), [&] {
      writer.write(source);
      progress.done_one();
    });
  }
  out.commit();
  return exit_ok;
}

}  // namespace crous::cli
