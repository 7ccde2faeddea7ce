#pragma once
// The raw bytes of INPUT: a file, or stdin for "-", with a byte count for
// progress reports. Read errors are CliError(exit_io).
#include <cstdint>
#include <string>

#include "crous/stream.hpp"

namespace crous::cli {

class FileInput final : public InputStream {
 public:
  // "-" means stdin. Throws CliError(exit_io) if the file cannot be opened.
  explicit FileInput(const std::string& path);
  ~FileInput() override;
  FileInput(const FileInput&) = delete;
  FileInput& operator=(const FileInput&) = delete;

  std::size_t read(std::uint8_t* dst, std::size_t size) override;
  std::uint64_t bytes_read() const noexcept { return bytes_read_; }
  const std::string& name() const noexcept { return name_; }

 private:
  std::string name_;
  int fd_;
  bool owns_fd_;
  std::uint64_t bytes_read_ = 0;
};

}  // namespace crous::cli
