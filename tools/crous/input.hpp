#pragma once
// The INPUT of a command: a file or stdin, possibly an LZ4 stream, with its
// format detected from the first bytes (which are then replayed to the
// reader) and a byte count for progress reports.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "compression_options.hpp"
#include "crous/json/format.hpp"
#include "crous/json/peekable_input.hpp"
#include "crous/lz4_stream.hpp"
#include "crous/stream.hpp"
#include "file_input.hpp"

namespace crous::cli {

// The format named by --to or --from; throws CliError(exit_usage).
json::Format format_option(std::string_view name);

class Input final : public InputStream {
 public:
  // "-" means stdin. Throws CliError(exit_io) if the file cannot be opened.
  explicit Input(const std::string& path);

  // Sets up decompression (--decompress lz4, or detected: the input starts
  // with no header of ours, and its first bytes are a size prefix and an LZ4
  // block whose data starts with one) and returns the format of the
  // (decompressed) records: --from, else detected from the first bytes
  // (json::detect_format). FLUX (or legacy CROU) and CROUT are told apart
  // by their headers; anything else is refused, since JSON must be asked
  // for with --from json. An empty input counts as FLUX with no records.
  // Call once, before reading.
  json::Format format(const InputOptions& options);

  // The records' bytes: decompressed if the input is compressed.
  std::size_t read(std::uint8_t* dst, std::size_t size) override { return records_->read(dst, size); }
  // Bytes read from the file (compressed ones, for a compressed input).
  std::uint64_t bytes_read() const noexcept { return file_.bytes_read(); }
  const std::string& name() const noexcept { return file_.name(); }
  // The LZ4 format the input is read with, if it is compressed.
  std::optional<Lz4Format> compression() const noexcept { return compression_; }

 private:
  std::optional<Lz4Format> probe_lz4(const InputOptions& options, bool want_header);
  void decompress(const Lz4Format& format);

  FileInput file_;
  json::PeekableInput raw_{file_};
  std::optional<Lz4InputStream> lz4_;
  std::optional<json::PeekableInput> decompressed_;
  InputStream* records_ = &raw_;  // what read() reads
  std::optional<Lz4Format> compression_;
};

}  // namespace crous::cli
