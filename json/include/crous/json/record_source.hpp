#pragma once
// The records of a stream, one at a time, whatever its format: FLUX records
// (raw bytes, decoded on demand), CROUT documents (checked text, parsed on
// demand) or JSON values. Only the current record is held in memory.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crous/crout.hpp"
#include "crous/json/format.hpp"
#include "crous/json/json_reader.hpp"
#include "crous/record_stream.hpp"

namespace crous::json {

class RecordSource {
 public:
  RecordSource(InputStream& in, Format format, const Limits& limits = {});

  // Moves to the next record; false at a clean end. Throws DecodeError whose
  // offset counts from the start of the input.
  bool next();

  Format format() const noexcept { return format_; }
  // The limits records are read with, for whoever decodes or converts them.
  const Limits& limits() const noexcept { return limits_; }
  std::uint64_t record_index() const noexcept { return index_; }  // 0-based
  std::uint64_t offset() const noexcept { return offset_; }
  std::uint64_t size() const noexcept { return size_; }
  // FLUX input only: the record's bytes (valid until next()).
  ByteView flux() const noexcept { return flux_; }
  // CROUT input only: the document's text (valid until next()).
  std::string_view crout() const noexcept { return crout_; }
  // The record as a value (decoded once, on first use).
  const Value& value();
  // Re-throws a DecodeError raised inside the current record with its
  // offset counted from the start of the input.
  [[noreturn]] void rethrow_in_record(const DecodeError& error) const;

 private:
  template <class View>
  bool found(View& slot, View view, std::uint64_t offset) {
    slot = view;
    offset_ = offset;
    size_ = view.size();
    return true;
  }

  Format format_;
  Limits limits_;
  std::optional<RecordReader> flux_reader_;
  std::optional<CroutReader> crout_reader_;
  std::optional<JsonReader> json_reader_;
  std::uint64_t index_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t size_ = 0;
  bool started_ = false;
  ByteView flux_;
  std::string_view crout_;
  std::optional<Value> value_;
};

}  // namespace crous::json
