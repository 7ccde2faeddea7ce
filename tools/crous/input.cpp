#include "input.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <system_error>

#include "cli_error.hpp"

namespace crous::cli {

Format parse_format(std::string_view name) {
  if (name == "flux") return Format::flux;
  if (name == "crout") return Format::crout;
  if (name == "json") return Format::json;
  usage_error("unknown format '" + std::string(name) + "' (expected flux, crout or json)");
}

std::string_view format_name(Format format) noexcept {
  switch (format) {
    case Format::flux: return "flux";
    case Format::crout: return "crout";
    case Format::json: return "json";
  }
  return "?";
}

Input::Input(const std::string& path) : name_(path == "-" ? "<stdin>" : path), fd_(0), owns_fd_(false) {
  if (path == "-") return;
  fd_ = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd_ < 0) throw CliError(exit_io, "cannot open " + path + ": " + std::strerror(errno));
  owns_fd_ = true;
}

Input::~Input() {
  if (owns_fd_) ::close(fd_);
}

Format Input::detect() {
  char head[6];
  std::size_t got = 0;
  while (got < sizeof head) {
    const std::size_t n = read_fd(reinterpret_cast<std::uint8_t*>(head) + got, sizeof head - got);
    if (n == 0) break;
    got += n;
  }
  peeked_.assign(head, got);
  const std::string_view start = peeked_;
  if (start.empty()) return Format::flux;
  // "CROUT1" shares its first four bytes with the legacy "CROU" magic.
  if (start == std::string_view("CROUT1").substr(0, got) || start.starts_with("//")) return Format::crout;
  if (std::string_view("FLUX").starts_with(start.substr(0, 4)) || std::string_view("CROU").starts_with(start.substr(0, 4))) return Format::flux;
  throw CliError(exit_invalid_data, name_ + ": record 0: bad_header at byte 0: not FLUX, CROU or CROUT data (the first bytes match no header); for JSON use --from json");
}

std::size_t Input::read(std::uint8_t* dst, std::size_t size) {
  if (peek_pos_ < peeked_.size()) {
    const std::size_t n = std::min(size, peeked_.size() - peek_pos_);
    std::memcpy(dst, peeked_.data() + peek_pos_, n);
    peek_pos_ += n;
    return n;
  }
  return read_fd(dst, size);
}

std::size_t Input::read_fd(std::uint8_t* dst, std::size_t size) {
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
