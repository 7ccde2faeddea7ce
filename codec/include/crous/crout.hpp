#pragma once
// CROUT: the readable text twin of FLUX (FORMAT.md, "CROUT text, version 1").
//
//   std::string text = crous::to_crout(value);                 // compact, with token table
//   std::string nice = crous::to_crout(value, crous::CroutStyle::pretty);
//   crous::Value back = crous::parse_crout(text);
//   crous::Bytes flux = crous::crout_to_flux(text);            // no value tree is built
//   std::string again = crous::flux_to_crout(flux);
//
// Errors are crous::DecodeError. For text input the message starts with
// "line L, column C:" (both 1-based, columns count bytes) and says what was
// expected; offset() is the byte offset from the start of the text (or of the
// stream, for CroutReader). Codes: syntax, truncated (input ended early),
// trailing_bytes, depth_exceeded, limit_exceeded, invalid_utf8, invalid_value.
//
// Limits for text input: Limits::max_depth bounds nesting; max_record_bytes
// bounds the text of one document and also the bytes its keys expand to
// through the token table (so a short token cannot blow up into gigabytes).
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crous/flux.hpp"
#include "crous/limits.hpp"
#include "crous/value.hpp"

namespace crous {

class InputStream;
class OutputStream;
namespace detail {
class CroutFramer;
}

// A place in CROUT text: byte offset, 1-based line and byte column.
struct TextPosition {
  std::uint64_t offset = 0;
  std::uint64_t line = 1;
  std::uint64_t column = 1;
};

enum class CroutStyle : std::uint8_t {
  // The original's layout: ` , ` separators, no other whitespace, token table
  // for keys seen at least twice. No trailing newline.
  compact,
  // One item per line, two-space indent, keys as bare words where possible,
  // no token table. Meant for people; reads back like the compact form.
  pretty,
};

// ---- tree path ----
std::string to_crout(const Value& value, CroutStyle style = CroutStyle::compact);
// Writes one document to a stream (buffered; call flush() on the stream).
void write_crout(const Value& value, OutputStream& out, CroutStyle style = CroutStyle::compact);
// Parses exactly one document; anything but whitespace and comments after it
// is ErrorCode::trailing_bytes.
Value parse_crout(std::string_view text, const Limits& limits = {});

// ---- direct conversion, one pass, no value tree ----
// Appends the FLUX record for the single CROUT document in `text`.
void crout_to_flux(std::string_view text, Bytes& out, const Limits& limits = {});
Bytes crout_to_flux(std::string_view text, const Limits& limits = {});
// `flux` must hold exactly one FLUX (or legacy CROU) record. The record is
// read twice (the compact style counts keys for its token table on the first
// pass); a malformed record throws before anything reaches `out`.
std::string flux_to_crout(ByteView flux, CroutStyle style = CroutStyle::compact, const Limits& limits = {});
void flux_to_crout(ByteView flux, OutputStream& out, CroutStyle style = CroutStyle::compact, const Limits& limits = {});

// ---- streams of documents ----
// Reads CROUT documents that follow each other on a stream (each starts with
// CROUT1; whitespace and comments may separate them). Memory is bounded by
// the largest document (<= max_record_bytes). Error offsets and line numbers
// count from the start of the stream. Work is linear in the bytes read
// however the stream chunks them: a document is parsed once it may be
// whole, not after every read.
class CroutReader {
 public:
  explicit CroutReader(InputStream& in, const Limits& limits = {});
  CroutReader(CroutReader&&) noexcept;
  ~CroutReader();

  // The next document as a value, or nullopt at a clean end of stream.
  std::optional<Value> next();
  // Appends the next document converted to a FLUX record; false at the end.
  bool next_flux(Bytes& out);
  // The next document's text, checked but not converted (valid until the
  // next call), or nullopt at the end.
  std::optional<std::string_view> next_text();
  // Stream offset of the document most recently returned.
  std::uint64_t document_offset() const noexcept { return document_offset_; }
  // Bytes the parser went over so far, every attempt counted (a document is
  // parsed again when it turns out to be cut off). Stays within a small
  // multiple of the bytes read; tests check that.
  std::uint64_t parsed_bytes() const noexcept { return parsed_bytes_; }

 private:
  // `parse(text, start, origin)` parses one document with a fresh sink and
  // says where it ended; it is retried with more input when that was cut off.
  template <class Parse>
  bool read_document(Parse parse);
  bool worth_parsing();
  [[noreturn]] void fail_too_long(std::size_t document_start) const;
  bool skip_to_document();
  bool read_more();
  void read_some();
  void drop_consumed();

  InputStream& in_;
  Limits limits_;
  std::string buffer_;
  std::unique_ptr<std::uint8_t[]> chunk_;  // what one read delivers, appended to buffer_
  std::size_t pos_ = 0;  // start of the unread part of buffer_
  TextPosition origin_;  // where buffer_[0] sits in the stream
  std::uint64_t document_offset_ = 0;
  std::uint64_t parsed_bytes_ = 0;
  // Says when the document may be whole. Should it ever call a cut-off
  // document whole, the reader stops trusting it for that document and
  // reads until the unread part has doubled before parsing again.
  std::unique_ptr<detail::CroutFramer> framer_;
  bool trust_framer_ = true;
  bool eof_ = false;
};

}  // namespace crous
