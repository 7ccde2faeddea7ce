#include "crous/json/item_source.hpp"

#include <string>
#include <utility>

#include "crous/error.hpp"

namespace crous::json {

namespace {

// The same words as LazyReader's, whichever way the record was read.
[[noreturn]] void not_a_container(std::uint64_t offset) {
  throw DecodeError(ErrorCode::invalid_value, static_cast<std::size_t>(offset),
                    "lazy reading needs a list, tuple or dict at the top of the record");
}

std::uint64_t items_of(const Value& record) {
  switch (record.kind()) {
    case Kind::list: return record.as_list().size();
    case Kind::tuple: return record.as_tuple().size();
    case Kind::dict: return record.as_dict().size();
    default: return 0;
  }
}

Value entry_item(std::string key, Value value) { return List{Value(std::move(key)), std::move(value)}; }

}  // namespace

ItemSource::ItemSource(InputStream& in, Format format, const Limits& limits) : format_(format), limits_(limits), in_(in) {
  if (format != Format::flux) records_.emplace(in_, format, limits);
}

std::optional<std::uint64_t> ItemSource::offset() const noexcept {
  if (!lazy_) return std::nullopt;
  return offset_;
}

std::optional<std::uint64_t> ItemSource::size() const noexcept {
  if (!lazy_) return std::nullopt;
  return size_;
}

bool ItemSource::next() { return format_ == Format::flux ? next_lazy() : next_of_whole_record(); }

// The next record's header and container; false at the end of the stream.
bool ItemSource::begin_lazy_record() {
  record_index_ = records_begun_;
  if (!lazy_) {
    if (in_.peek(1).empty()) return false;  // no records at all
    lazy_.emplace(in_, limits_);
  } else if (!lazy_->next_record()) {
    return false;
  }
  ++records_begun_;
  return true;
}

bool ItemSource::next_lazy() {
  if (!lazy_ && !begin_lazy_record()) return false;
  while (lazy_->items_read() == lazy_->declared_size()) {
    if (!begin_lazy_record()) return false;
  }
  item_index_ = lazy_->items_read();
  offset_ = lazy_->offset();
  try {
    if (lazy_->kind() == Kind::dict) {
      auto entry = lazy_->next_entry();
      item_ = entry_item(std::move(entry->first), std::move(entry->second));
    } else {
      item_ = std::move(*lazy_->next());
    }
  } catch (const DecodeError& e) {
    throw DecodeError(e.code(), e.offset(), "item " + std::to_string(item_index_) + ": " + e.message());
  }
  size_ = lazy_->offset() - offset_;
  return true;
}

bool ItemSource::next_of_whole_record() {
  while (!in_record_ || next_item_ == items_in_record_) {
    in_record_ = false;
    record_index_ = records_begun_;
    if (!records_->next()) return false;
    ++records_begun_;
    const Value& record = records_->value();
    if (!record.is_list() && !record.is_tuple() && !record.is_dict()) not_a_container(records_->offset());
    items_in_record_ = items_of(record);
    next_item_ = 0;
    in_record_ = true;
  }
  item_index_ = next_item_++;
  const Value& record = records_->value();
  if (record.is_dict()) {
    const auto& [key, value] = record.as_dict().entries()[item_index_];
    item_ = entry_item(key, value);
  } else {
    item_ = record.is_list() ? record.as_list()[item_index_] : record.as_tuple()[item_index_];
  }
  return true;
}

}  // namespace crous::json
