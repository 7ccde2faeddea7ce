#pragma once
// The record formats the tools read and write, and how an input's format is
// told from its first bytes (docs/cli.md, "Input formats").
#include <optional>
#include <string_view>

namespace crous::json {

class PeekableInput;

enum class Format { flux, crout, json };

// "flux", "crout" or "json"; nullopt for any other name (each tool words
// its own error).
std::optional<Format> parse_format(std::string_view name) noexcept;
std::string_view format_name(Format format) noexcept;

// FLUX (or legacy CROU) records or CROUT documents, by their first bytes:
// "FLUX" or "CROU" at byte 0; "CROUT1" or a "//" comment, after any
// whitespace. nullopt: no header of ours (JSON has none; compressed data may
// be there). `start` is the whole stream or its first bytes: a start too
// short to tell counts as the format it begins like (its reader then says
// "truncated"), an empty stream as FLUX with no records, whitespace alone as
// CROUT with no documents.
std::optional<Format> detect_format(std::string_view start) noexcept;
// The same for a stream, peeking as few bytes as tell (they are replayed to
// whoever reads it next); before its first read.
std::optional<Format> detect_format(PeekableInput& in);

}  // namespace crous::json
