#include "format_writer.hpp"

#include "crous/flux.hpp"
#include "crous/json/mapping.hpp"

namespace crous::cli {

FormatWriter::FormatWriter(Output& out, json::Format format, bool pretty) : out_(out), format_(format), pretty_(pretty) {}

void FormatWriter::write(json::RecordSource& source) {
  const CroutStyle style = pretty_ ? CroutStyle::pretty : CroutStyle::compact;
  try {
    if (format_ == json::Format::crout && source.format() == json::Format::flux) {
      flux_to_crout(source.flux(), out_.stream(), style, source.limits());
      out_.write("\n");
      return;
    }
    if (format_ == json::Format::flux && source.format() == json::Format::crout) {
      scratch_.clear();
      crout_to_flux(source.crout(), scratch_, source.limits());
      out_.stream().write(scratch_);
      return;
    }
  } catch (const DecodeError& e) {
    source.rethrow_in_record(e);
  }
  write(source.value());
}

void FormatWriter::write(const Value& value) {
  switch (format_) {
    case json::Format::flux:
      scratch_.clear();
      encode_flux(value, scratch_);
      out_.stream().write(scratch_);
      return;
    case json::Format::crout:
      write_crout(value, out_.stream(), pretty_ ? CroutStyle::pretty : CroutStyle::compact);
      out_.write("\n");
      return;
    case json::Format::json:
      out_.write(json::to_json(value).dump(pretty_ ? 2 : -1));
      out_.write("\n");
      return;
  }
}

}  // namespace crous::cli
