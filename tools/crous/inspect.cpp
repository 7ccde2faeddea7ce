// crous inspect: a table of the records in a stream, or an annotated hex
// dump of one record.
#include <cstdio>
#include <string>

#include "crous/cli/args.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "compression_options.hpp"
#include "crous/crout.hpp"
#include "crous/flux_annotate.hpp"
#include "crous/json/item_source.hpp"
#include "crous/json/record_source.hpp"
#include "each_record.hpp"
#include "input.hpp"

namespace crous::cli {

namespace {

constexpr const char* help = R"(usage: crous inspect [--hex [--record N] | --items] [--from flux|crout|json]
                     [--max-record-bytes BYTES] [--decompress lz4] [--lz4-page BYTES]
                     [--lz4-width 1|2|4] [INPUT]

Lists the records of INPUT, one line each: record number, byte offset,
size in bytes, top-level kind and a short preview.

  --hex          instead, print an annotated hex dump of one record: header,
                 tags, varints, keys and values, indented by nesting. CROUT
                 and JSON records are shown as their FLUX encoding.
  --record N     the record for --hex (default 0, the first)
  --items        instead, list the items of each record (a list, tuple or
                 dict; a dict's entries as [key, value]), one line each with
                 its record and item number. FLUX is read item by item, in
                 memory bounded by the largest item; the items of CROUT and
                 JSON records have no offset or size of their own (-)
  --max-record-bytes BYTES
                 the largest record accepted (65536, 64K, 16M, 1G; default
                 16M); with --items, the largest item
  --from FORMAT  input format (default: detected; JSON needs --from json)
  --decompress lz4, --lz4-page BYTES, --lz4-width N
                 read an LZ4 stream (detected without --decompress; see
                 crous convert --help). Offsets are then in the decompressed data.
  INPUT          a file, or - / nothing for stdin

Exit status: 0 ok, 1 invalid input (the listing stops at the bad record),
2 usage, 3 I/O error.
)";

constexpr std::size_t preview_width = 60;

std::string preview(const Value& value) {
  std::string text = value.debug_string();
  if (text.size() > preview_width) text = text.substr(0, preview_width - 3) + "...";
  return text;
}

void list_records(json::RecordSource& source, const Input& in) {
  std::printf("%-7s %12s %10s  %-7s %s\n", "record", "offset", "size", "kind", "preview");
  read_each(source, in.name(), [&] {
    const Value& value = source.value();
    std::printf("%-7llu %12llu %10llu  %-7s %s\n", static_cast<unsigned long long>(source.record_index()),
                static_cast<unsigned long long>(source.offset()), static_cast<unsigned long long>(source.size()),
                std::string(to_string(value.kind())).c_str(), preview(value).c_str());
  });
}

std::string number_or_dash(std::optional<std::uint64_t> n) { return n ? std::to_string(*n) : "-"; }

void list_items(json::ItemSource& source, const Input& in) {
  std::printf("%-7s %-10s %12s %10s  %-7s %s\n", "record", "item", "offset", "size", "kind", "preview");
  read_each(source, in.name(), [&] {
    const Value& value = source.value();
    std::printf("%-7llu %-10llu %12s %10s  %-7s %s\n", static_cast<unsigned long long>(source.record_index()),
                static_cast<unsigned long long>(source.item_index()), number_or_dash(source.offset()).c_str(),
                number_or_dash(source.size()).c_str(), std::string(to_string(value.kind())).c_str(), preview(value).c_str());
  });
}

// The FLUX bytes of the current record: its own for FLUX input, else its encoding.
Bytes flux_bytes(json::RecordSource& source) {
  if (source.format() == json::Format::flux) return Bytes(source.flux().begin(), source.flux().end());
  if (source.format() == json::Format::crout) return crout_to_flux(source.crout(), source.limits());
  return encode_flux(source.value());
}

void dump_record(json::RecordSource& source, const Input& in, std::uint64_t wanted) {
  bool found = false;
  read_each(source, in.name(), [&] {
    if (found || source.record_index() != wanted) return;
    found = true;
    const Bytes flux = flux_bytes(source);
    const bool native = source.format() == json::Format::flux;
    std::printf("record %llu at byte %llu, %llu bytes%s\n", static_cast<unsigned long long>(wanted),
                static_cast<unsigned long long>(source.offset()), static_cast<unsigned long long>(source.size()),
                native ? "" : (", shown as its " + std::to_string(flux.size()) + "-byte FLUX encoding").c_str());
    try {
      std::fputs(annotate_flux(flux, native ? source.offset() : 0, source.limits()).c_str(), stdout);
    } catch (const DecodeError& e) {
      source.rethrow_in_record(e);
    }
  });
  if (!found) throw CliError(exit_invalid_data, in.name() + ": there is no record " + std::to_string(wanted) + " (records are numbered from 0)");
}

std::uint64_t parse_record_number(const std::string& text) {
  std::size_t used = 0;
  unsigned long long n = 0;
  try {
    n = std::stoull(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || text.empty() || text[0] == '-') usage_error("--record needs a record number, got '" + text + "'");
  return n;
}

}  // namespace

int run_inspect(int argc, char** argv) {
  const Args args(argc, argv, {{"--hex", false}, {"--record", true}, {"--help", false}, {"-h", false}}, {input_option_specs()});
  if (args.printed_help(help)) return exit_ok;
  const auto record = args.value("--record");
  if (record && !args.flag("--hex")) usage_error("--record goes with --hex");
  const InputOptions options = input_options(args);
  if (options.items && args.flag("--hex")) usage_error("--items lists items; it does not go with --hex");
  Input in(args.input());
  const json::Format format = in.format(options);
  if (options.items) {
    json::ItemSource source(in, format, options.limits);
    list_items(source, in);
    return exit_ok;
  }
  json::RecordSource source(in, format, options.limits);
  if (args.flag("--hex")) {
    dump_record(source, in, record ? parse_record_number(*record) : 0);
  } else {
    list_records(source, in);
  }
  return exit_ok;
}

}  // namespace crous::cli
