#pragma once
// The items of every record of a stream, one at a time (`crous --items`):
// each record must be a list, tuple or dict, and its items come out one by
// one, a dict's entries as the two-item list [key, value]. FLUX v1 records
// are read with LazyReader, so memory is bounded by the largest item however
// large the record, and the limits apply to each item (a dict entry's key
// and value are read as they are stored, a repeated key included). CROUT and
// JSON records are read whole, within the limits, then split. Legacy CROU
// records cannot be read item by item (bad_header).
#include <cstdint>
#include <optional>

#include "crous/json/format.hpp"
#include "crous/json/peekable_input.hpp"
#include "crous/json/record_source.hpp"
#include "crous/lazy_reader.hpp"

namespace crous::json {

class ItemSource {
 public:
  ItemSource(InputStream& in, Format format, const Limits& limits = {});

  // Moves to the next item, of this record or of a later one (records with
  // no items are passed over); false at a clean end of the stream. Throws
  // DecodeError whose offset counts from the start of the input and whose
  // message starts with "item N: " when reading an item failed.
  bool next();

  Format format() const noexcept { return format_; }
  // The record of the current item (or of the failure when next() threw),
  // and the item's place in it; both 0-based.
  std::uint64_t record_index() const noexcept { return record_index_; }
  std::uint64_t item_index() const noexcept { return item_index_; }
  // Records begun so far, empty ones included.
  std::uint64_t records() const noexcept { return records_begun_; }
  // Where the item's bytes are in the input: FLUX only (the items of a text
  // record have no bytes of their own).
  std::optional<std::uint64_t> offset() const noexcept;
  std::optional<std::uint64_t> size() const noexcept;
  const Value& value() const noexcept { return item_; }

 private:
  bool next_lazy();
  bool next_of_whole_record();
  bool begin_lazy_record();

  Format format_;
  Limits limits_;
  PeekableInput in_;
  std::optional<LazyReader> lazy_;       // FLUX
  std::optional<RecordSource> records_;  // CROUT and JSON
  // CROUT and JSON: the current record (read whole) and where in it.
  bool in_record_ = false;
  std::uint64_t items_in_record_ = 0;
  std::uint64_t next_item_ = 0;
  std::uint64_t record_index_ = 0;
  std::uint64_t item_index_ = 0;
  std::uint64_t records_begun_ = 0;
  std::uint64_t offset_ = 0;
  std::uint64_t size_ = 0;
  Value item_;
};

}  // namespace crous::json
