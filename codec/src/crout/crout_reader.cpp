#include <algorithm>
#include <string>

#include "crous/crout.hpp"
#include "crous/stream.hpp"
#include "crout/crout_framer.hpp"
#include "crout/crout_parser.hpp"
#include "crout/events.hpp"
#include "crout/flux_emitter.hpp"
#include "crout/text_cursor.hpp"
#include "crout/value_builder.hpp"

namespace crous {

namespace {

constexpr std::size_t read_chunk = 64 * 1024;

struct Parsed {
  std::size_t end;
  bool root_is_number;
};

template <detail::EventSink Sink>
Parsed parse_one(Sink& sink, std::string_view text, std::size_t start, const Limits& limits, detail::TextOrigin origin, bool complete) {
  detail::CroutParser<Sink> parser(text, start, limits, sink, origin, complete);
  const std::size_t end = parser.parse_document();
  return {end, parser.root_is_number()};
}

}  // namespace

CroutReader::CroutReader(InputStream& in, const Limits& limits)
    : in_(in), limits_(limits), chunk_(std::make_unique_for_overwrite<std::uint8_t[]>(read_chunk)), framer_(std::make_unique<detail::CroutFramer>(limits)) {}
CroutReader::CroutReader(CroutReader&&) noexcept = default;
CroutReader::~CroutReader() = default;

std::optional<Value> CroutReader::next() {
  detail::ValueBuilder builder;
  const bool found = read_document([&](std::string_view text, std::size_t start, detail::TextOrigin origin) {
    builder = detail::ValueBuilder();
    return parse_one(builder, text, start, limits_, origin, eof_);
  });
  if (!found) return std::nullopt;
  return builder.take();
}

bool CroutReader::next_flux(Bytes& out) {
  const std::size_t start_size = out.size();
  return read_document([&](std::string_view text, std::size_t start, detail::TextOrigin origin) {
    out.resize(start_size);  // drop what a cut-off attempt wrote
    detail::FluxEmitter emitter(out, limits_);
    try {
      return parse_one(emitter, text, start, limits_, origin, eof_);
    } catch (...) {
      out.resize(start_size);
      throw;
    }
  });
}

std::optional<std::string_view> CroutReader::next_text() {
  std::size_t start = 0;
  std::size_t end = 0;
  const bool found = read_document([&](std::string_view text, std::size_t at, detail::TextOrigin origin) {
    detail::IgnoreEvents ignore;
    const Parsed parsed = parse_one(ignore, text, at, limits_, origin, eof_);
    start = at;
    end = parsed.end;
    return parsed;
  });
  if (!found) return std::nullopt;
  return std::string_view(buffer_).substr(start, end - start);
}

template <class Parse>
bool CroutReader::read_document(Parse parse) {
  for (;;) {
    if (!eof_ && !worth_parsing()) {
      read_more();
      continue;
    }
    if (!skip_to_document()) return false;
    const std::size_t start = pos_;
    try {
      const Parsed parsed = parse(std::string_view(buffer_), pos_, origin_);
      parsed_bytes_ += parsed.end - start;
      // A number at the very end of what has arrived may still grow (the
      // framer never says so, but the doubling fallback can end there).
      if (parsed.end == buffer_.size() && parsed.root_is_number && !eof_) {
        trust_framer_ = false;
        read_more();
        continue;
      }
      document_offset_ = origin_.offset + pos_;
      pos_ = parsed.end;
      framer_->restart(pos_);
      trust_framer_ = true;
      return true;
    } catch (const DecodeError& error) {
      if (error.code() != ErrorCode::truncated || eof_) throw;
      parsed_bytes_ += buffer_.size() - start;
      trust_framer_ = false;
      read_more();
    }
  }
}

// Whether what has arrived may hold the whole next document. While it
// cannot, whitespace and comments before the document are marked consumed
// so a long run of them does not pile up in the buffer.
bool CroutReader::worth_parsing() {
  if (!trust_framer_) return true;
  switch (framer_->scan(std::string_view(buffer_))) {
    case detail::CroutFramer::Verdict::ready: return true;
    case detail::CroutFramer::Verdict::too_long: fail_too_long(framer_->skippable_end());
    case detail::CroutFramer::Verdict::need_more: break;
  }
  pos_ = std::max(pos_, framer_->skippable_end());
  return false;
}

void CroutReader::fail_too_long(std::size_t document_start) const {
  detail::TextCursor(buffer_, document_start, origin_)
      .fail(ErrorCode::limit_exceeded, document_start, "document longer than the record limit of " + std::to_string(limits_.max_record_bytes) + " bytes");
}

// Moves past whitespace and comments before the next document; false at a
// clean end of stream.
bool CroutReader::skip_to_document() {
  for (;;) {
    detail::TextCursor cursor(buffer_, pos_, origin_);
    try {
      cursor.skip_space();
      if (!cursor.at_end()) {
        pos_ = cursor.pos();
        return true;
      }
    } catch (const DecodeError& error) {
      if (eof_ || error.code() != ErrorCode::truncated) throw;  // truncated: a lone '/' at the end so far
    }
    if (eof_) return false;
    // A comment may continue in the next chunk; only whole lines are done with.
    const auto newline = std::string_view(buffer_).substr(pos_).rfind('\n');
    if (newline != std::string_view::npos) pos_ += newline + 1;
    read_more();
  }
}

// Reads once; while the framer is not trusted, reads until the unread part
// has doubled instead (so re-parsing a long, slowly arriving document costs
// linear time overall) or to the end of the stream. False at end of stream.
bool CroutReader::read_more() {
  if (eof_) return false;
  drop_consumed();
  if (trust_framer_) {
    read_some();  // the framer watches the limit
    return true;
  }
  const std::size_t pending = buffer_.size() - pos_;
  if (pending > limits_.max_record_bytes) fail_too_long(pos_);
  const std::size_t target = std::max(pending * 2, pending + read_chunk);
  while (!eof_ && buffer_.size() - pos_ < target) read_some();
  return true;
}

// One read, appended to the buffer. Reading into chunk_ (never zero-filled)
// rather than into buffer_ grown by a whole chunk keeps a 1-byte read from
// costing a 64 KiB fill.
void CroutReader::read_some() {
  const std::size_t got = in_.read(chunk_.get(), read_chunk);
  if (got == 0) {
    eof_ = true;
    return;
  }
  buffer_.append(reinterpret_cast<const char*>(chunk_.get()), got);
}

void CroutReader::drop_consumed() {
  if (pos_ < read_chunk || pos_ < buffer_.size() / 2) return;
  origin_ = detail::advance_origin(origin_, std::string_view(buffer_).substr(0, pos_));
  buffer_.erase(0, pos_);
  framer_->shift(pos_);
  pos_ = 0;
}

}  // namespace crous
