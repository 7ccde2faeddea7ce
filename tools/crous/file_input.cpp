#include "file_input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "cli_error.hpp"

namespace crous::cli {

FileInput::FileInput(const std::string& path) : name_(path == "-" ? "<stdin>" : path), fd_(0), owns_fd_(false) {
  if (path == "-") return;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw CliError(exit_io, "cannot open " + path + ": " + std::strerror(errno));
  owns_fd_ = true;
}

FileInput::~FileInput() {
  if (owns_fd_) ::close(fd_);
}

std::size_t FileInput::read(std::uint8_t* dst, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd_, dst, size);
    if (n >= 0) {
      bytes_read_ += static_cast<std::uint64_t>(n);
      return static_cast<std::size_t>(n);
    }
    if (errno != EINTR) throw CliError(exit_io, "cannot read " + name_ + ": " + std::strerror(errno));
  }
}

}  // namespace crous::cli
