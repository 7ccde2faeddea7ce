#include "crous/streaming_writer.hpp"

#include <iterator>
#include <string>

#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "flux_format.hpp"

namespace crous {

using namespace detail;

// Checks that an item may be written here and starts a record if none is open.
void StreamingWriter::before_item() {
  if (stack_.empty()) {
    scratch_.insert(scratch_.end(), std::begin(flux_v1_header), std::end(flux_v1_header));
    return;
  }
  const Open& top = stack_.back();
  if (top.remaining == 0) throw UsageError("container already holds all of its declared items");
  if (top.dict && !top.key_given) throw UsageError("dict item written without key()");
}

// Counts a finished item against its container; containers that are now
// full stay open until end() so that a missing end() is caught.
void StreamingWriter::after_item() {
  if (!stack_.empty()) {
    Open& top = stack_.back();
    --top.remaining;
    top.key_given = false;
  }
  emit();
}

void StreamingWriter::emit() {
  // Hand bytes to the stream in batches: one virtual call per item would
  // dominate the cost of writing small items.
  if (scratch_.size() >= 16 * 1024 || stack_.empty()) {
    out_.write(scratch_.data(), scratch_.size());
    scratch_.clear();
  }
}

// Writes a container's tag and varint (a count, or a tagged value's tag
// number) and opens it for `items` items.
void StreamingWriter::begin(std::uint8_t tag, std::uint64_t varint, std::uint64_t items, bool dict) {
  before_item();
  scratch_.push_back(tag);
  append_varint(scratch_, varint);
  stack_.push_back(Open{items, dict, false});
}

void StreamingWriter::begin_list(std::uint64_t count) { begin(flux_tag::list, count, count, false); }
void StreamingWriter::begin_tuple(std::uint64_t count) { begin(flux_tag::tuple, count, count, false); }
void StreamingWriter::begin_dict(std::uint64_t count) { begin(flux_tag::dict, count, count, true); }
void StreamingWriter::begin_tagged(std::uint32_t tag) { begin(flux_tag::tagged, tag, 1, false); }

void StreamingWriter::key(std::string_view key) {
  if (stack_.empty() || !stack_.back().dict) throw UsageError("key() outside a dict");
  Open& top = stack_.back();
  if (top.key_given) throw UsageError("key() called twice without a value");
  if (top.remaining == 0) throw UsageError("dict already holds all of its declared entries");
  append_varint(scratch_, key.size());
  scratch_.insert(scratch_.end(), key.begin(), key.end());
  top.key_given = true;
}

void StreamingWriter::value(const Value& value) {
  before_item();
  encode_flux_value(value, scratch_);
  after_item();
}

void StreamingWriter::end() {
  if (stack_.empty()) throw UsageError("end() with no open container");
  if (stack_.back().remaining != 0)
    throw UsageError("container closed with " + std::to_string(stack_.back().remaining) + " declared items missing");
  stack_.pop_back();
  after_item();
}

}  // namespace crous
