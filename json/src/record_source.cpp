#include "crous/json/record_source.hpp"

#include "crous/flux.hpp"

namespace crous::json {

RecordSource::RecordSource(InputStream& in, Format format, const Limits& limits) : format_(format), limits_(limits) {
  switch (format) {
    case Format::flux: flux_reader_.emplace(in, limits); break;
    case Format::crout: crout_reader_.emplace(in, limits); break;
    case Format::json: json_reader_.emplace(in, limits); break;
  }
}

bool RecordSource::next() {
  if (started_) ++index_;
  started_ = true;
  value_.reset();
  switch (format_) {
    case Format::flux: {
      const auto raw = flux_reader_->next_raw();
      return raw && found(flux_, *raw, flux_reader_->record_offset());
    }
    case Format::crout: {
      const auto text = crout_reader_->next_text();
      return text && found(crout_, *text, crout_reader_->document_offset());
    }
    case Format::json: {
      value_ = json_reader_->next();
      if (!value_) return false;
      offset_ = json_reader_->document_offset();
      size_ = json_reader_->end_offset() - offset_;
      return true;
    }
  }
  return false;
}

const Value& RecordSource::value() {
  if (value_) return *value_;
  try {
    value_ = format_ == Format::flux ? decode_flux(flux_, limits_) : parse_crout(crout_, limits_);
  } catch (const DecodeError& e) {
    rethrow_in_record(e);
  }
  return *value_;
}

void RecordSource::rethrow_in_record(const DecodeError& error) const {
  throw DecodeError(error.code(), static_cast<std::size_t>(offset_ + error.offset()), error.message());
}

}  // namespace crous::json
