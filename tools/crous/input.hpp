#pragma once
// The INPUT of a command: a file or stdin, with its format detected from the
// first bytes (which are then replayed to the reader) and a byte count for
// progress reports.
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "crous/stream.hpp"

namespace crous::cli {

enum class Format { flux, crout, json };

Format parse_format(std::string_view name);  // throws CliError(exit_usage)
std::string_view format_name(Format format) noexcept;

class Input final : public InputStream {
 public:
  // "-" means stdin. Throws CliError(exit_io) if the file cannot be opened.
  explicit Input(const std::string& path);
  ~Input() override;
  Input(const Input&) = delete;
  Input& operator=(const Input&) = delete;

  // FLUX (or legacy CROU) and CROUT are told apart by their first bytes;
  // anything else is refused, since JSON must be asked for with --from json.
  // An empty input counts as FLUX with no records.
  Format detect();
  // The format named by --from, else the detected one.
  Format format(const std::optional<std::string>& from) { return from ? parse_format(*from) : detect(); }

  std::size_t read(std::uint8_t* dst, std::size_t size) override;
  std::uint64_t bytes_read() const noexcept { return bytes_read_; }
  const std::string& name() const noexcept { return name_; }

 private:
  std::size_t read_fd(std::uint8_t* dst, std::size_t size);

  std::string name_;
  int fd_;
  bool owns_fd_;
  std::string peeked_;       // bytes read by detect(), replayed first
  std::size_t peek_pos_ = 0;
  std::uint64_t bytes_read_ = 0;
};

}  // namespace crous::cli
