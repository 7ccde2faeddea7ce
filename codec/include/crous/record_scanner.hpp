#pragma once
// Resumable record-boundary scanner. Feed it bytes in chunks of any size; it
// walks the value structure without building values and says when a record
// is complete. State is kept between calls, so total work is linear in the
// bytes fed even when they arrive one at a time.
//
// It also tracks the least number of bytes the record must still reach, given
// every count and length declared so far; a record that cannot fit
// Limits::max_record_bytes is refused as soon as the declaration is read.
//
// It rejects what decode_flux rejects, with the same ErrorCode at the same
// byte offset: bad headers, unknown tags (FLUX and legacy CROU tag sets),
// over-long varints, tag numbers past 32 bits, nesting past Limits::max_depth
// and, when Limits::validate_utf8 is set, strings and dict keys that are not
// UTF-8 (checked as their bytes pass, across chunk boundaries, so a bad string
// is refused as soon as the bytes that make it bad have been fed). What it
// does not promise: it may refuse an over-limit record (limit_exceeded)
// earlier than the decoder, and it says need_more where the decoder, which
// sees the end of its input, says truncated. proto-tests/codec/
// scanner_differential_test.cpp holds it to this against decode_flux.
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "crous/detail/utf8_stream.hpp"
#include "crous/detail/varint.hpp"
#include "crous/error.hpp"
#include "crous/limits.hpp"

namespace crous {

class RecordScanner {
 public:
  enum class Status : std::uint8_t { need_more, complete, error };
  struct Result {
    Status status;
    // Bytes of the chunk that belong to the current record. On `complete`
    // the rest of the chunk starts the next record.
    std::size_t consumed;
  };
  // record: a FLUX (or legacy CROU) header, then one value.
  // bare_value: one FLUX value, no header (items of a lazily read list).
  enum class Mode : std::uint8_t { record, bare_value };

  explicit RecordScanner(const Limits& limits = {}, Mode mode = Mode::record);

  // After `complete` or `error` the next feed() starts a new record.
  Result feed(std::span<const std::uint8_t> chunk);
  void reset() noexcept;

  // Size of the record just completed.
  std::size_t record_size() const noexcept { return record_size_; }
  // Bytes of the current record scanned so far.
  std::size_t scanned() const noexcept { return pos_; }
  // The least total size the current record can still have.
  std::size_t min_record_size() const noexcept { return pos_ + outstanding_; }
  // True between records (no byte of the next record seen yet).
  bool at_boundary() const noexcept { return pos_ == 0; }

  ErrorCode error_code() const noexcept { return error_code_; }
  std::size_t error_offset() const noexcept { return error_offset_; }
  const std::string& error_message() const noexcept { return error_message_; }
  DecodeError error() const { return DecodeError(error_code_, error_offset_, error_message_); }

 private:
  enum class State : std::uint8_t { header, tag, varint, skip, done };
  enum class VarintUse : std::uint8_t { int_value, text_len, bytes_len, key_len, list_count, dict_count, tag_number };
  // What the bytes being skipped are: text is UTF-8 checked, and a key is
  // followed by its entry's value.
  enum class Skipped : std::uint8_t { opaque, text, key };
  struct Frame {
    std::uint64_t remaining;  // items (or dict entries) still to come
    bool dict;
    bool key_next;  // dict frame: the next thing is a key
  };

  Result fail(ErrorCode code, std::size_t offset, std::string message, std::size_t consumed);
  bool declare(std::uint64_t bytes);  // false when the record can no longer fit
  void value_done();
  void skip_done();
  void start_varint(VarintUse use) noexcept;
  void start_skip(std::uint64_t bytes, Skipped what) noexcept;
  void push(std::uint64_t count, bool dict);
  // Whole-item fast path over contiguous bytes; see record_scanner.cpp.
  bool at_item_boundary() const noexcept;
  bool scan_fast(const std::uint8_t*& p, const std::uint8_t* end);
  bool fast_path_takes_text(const std::uint8_t* text, std::uint64_t size, const std::uint8_t* chunk_end) const noexcept;
  bool fast_path_takes_other_text(const std::uint8_t* text, std::uint64_t size) const noexcept;

  Limits limits_;
  Mode mode_;
  bool legacy_ = false;  // CROU v2 tag set
  State state_ = State::header;
  VarintUse varint_use_ = VarintUse::int_value;
  detail::VarintAccumulator varint_;
  std::uint64_t skip_ = 0;
  Skipped skipped_ = Skipped::opaque;
  std::size_t text_start_ = 0;  // offset of the first byte of the text being skipped
  detail::Utf8StreamValidator utf8_;  // for that text, when validate_utf8
  std::size_t pos_ = 0;
  std::size_t item_start_ = 0;  // offset of the current tag/varint, for errors
  std::uint64_t outstanding_ = 0;
  std::size_t record_size_ = 0;
  std::vector<Frame> stack_;
  std::uint8_t header_[6] = {};
  ErrorCode error_code_ = ErrorCode::truncated;
  std::size_t error_offset_ = 0;
  std::string error_message_;
};

}  // namespace crous
