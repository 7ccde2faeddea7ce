#include "format_writer.hpp"

#include "crous/flux.hpp"
#include "json_mapping.hpp"

namespace crous::cli {

FormatWriter::FormatWriter(Output& out, Format format, bool pretty) : out_(out), format_(format), pretty_(pretty) {}

void FormatWriter::write(RecordSource& source) {
  const CroutStyle style = pretty_ ? CroutStyle::pretty : CroutStyle::compact;
  try {
    if (format_ == Format::crout && source.format() == Format::flux) {
      flux_to_crout(source.flux(), out_.stream(), style);
      out_.write("\n");
      return;
    }
    if (format_ == Format::flux && source.format() == Format::crout) {
      scratch_.clear();
      crout_to_flux(source.crout(), scratch_);
      out_.stream().write(scratch_);
      return;
    }
  } catch (const DecodeError& e) {
    rethrow_in_record(e, source.offset());
  }
  write_value(source.value());
}

void FormatWriter::write_value(const Value& value) {
  switch (format_) {
    case Format::flux:
      scratch_.clear();
      encode_flux(value, scratch_);
      out_.stream().write(scratch_);
      return;
    case Format::crout:
      write_crout(value, out_.stream(), pretty_ ? CroutStyle::pretty : CroutStyle::compact);
      out_.write("\n");
      return;
    case Format::json:
      out_.write(to_json(value).dump(pretty_ ? 2 : -1));
      out_.write("\n");
      return;
  }
}

}  // namespace crous::cli
