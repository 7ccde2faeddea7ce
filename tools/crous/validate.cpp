// crous validate: checks every record completely, stops at the first bad one.
#include <cstdio>

#include "args.hpp"
#include "cli_error.hpp"
#include "commands.hpp"
#include "input.hpp"
#include "record_source.hpp"

namespace crous::cli {

namespace {

constexpr const char* help = R"(usage: crous validate [-q] [--from flux|crout|json] [INPUT]

Checks that every record of INPUT is valid: structure, declared sizes,
nesting depth, UTF-8, and (CROUT) syntax. Prints a one-line summary.

  -q, --quiet    print nothing on success
  --from FORMAT  input format (default: detected; JSON needs --from json)
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
  const Args args(argc, argv, {{"-q", false}, {"--quiet", false}, {"--from", true}, {"--help", false}, {"-h", false}});
  if (args.printed_help(help)) return exit_ok;
  Input in(args.input());
  RecordSource source(in, in.format(args.value("--from")));
  std::uint64_t records = 0;
  for_each_record(source, in.name(), [&] {
    // CROUT text and JSON are fully checked by reading them; FLUX framing
    // does not look inside strings, so decode to check UTF-8 too.
    if (source.format() == Format::flux) source.value();
    ++records;
  });
  if (!args.flag("-q") && !args.flag("--quiet")) {
    std::printf("%s: %llu records, all valid (%s)\n", in.name().c_str(), static_cast<unsigned long long>(records),
                std::string(format_name(source.format())).c_str());
  }
  return exit_ok;
}

}  // namespace crous::cli
