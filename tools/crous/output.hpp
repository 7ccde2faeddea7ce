#pragma once
// The OUTPUT of a command: stdout, or a named file that only appears once
// the whole conversion has succeeded (written to a temporary file beside it
// and renamed), so a failure never leaves half a file behind. With
// `compress`, everything written goes out as one LZ4 stream.
#include <memory>
#include <optional>
#include <string>

#include "crous/lz4_stream.hpp"
#include "crous/stream.hpp"

namespace crous::cli {

class Output {
 public:
  // "-" means stdout. Throws CliError(exit_io) if the file cannot be created.
  explicit Output(const std::string& path, std::optional<Lz4Format> compress = std::nullopt);
  ~Output();  // without commit(): the temporary file is removed
  Output(const Output&) = delete;
  Output& operator=(const Output&) = delete;

  OutputStream& stream() noexcept { return lz4_ ? static_cast<OutputStream&>(*lz4_) : *stream_; }
  void write(std::string_view text);
  // Flushes and moves the file into place.
  void commit();

 private:
  std::string path_;
  std::string temp_path_;
  int fd_ = 1;
  std::unique_ptr<FdOutputStream> stream_;
  std::unique_ptr<Lz4OutputStream> lz4_;  // over stream_; goes first
};

}  // namespace crous::cli
