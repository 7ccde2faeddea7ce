#include "crous/stream.hpp"

#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <istream>
#include <ostream>
#include <system_error>

namespace crous {

namespace {
[[noreturn]] void throw_errno(const char* what) { throw std::system_error(errno, std::generic_category(), what); }
}  // namespace

// ---- OutputStream ----
OutputStream::OutputStream(std::size_t buffer_size) : capacity_(std::max<std::size_t>(buffer_size, 1)) {
  buffer_.reserve(capacity_);
}

void OutputStream::write(const std::uint8_t* data, std::size_t size) {
  if (buffer_.size() + size > capacity_) {
    if (!buffer_.empty()) {
      sink(buffer_.data(), buffer_.size());
      buffer_.clear();
    }
    if (size >= capacity_) {  // large writes go straight through
      sink(data, size);
      return;
    }
  }
  buffer_.insert(buffer_.end(), data, data + size);
}

void OutputStream::flush() {
  if (!buffer_.empty()) {
    sink(buffer_.data(), buffer_.size());
    buffer_.clear();
  }
  sync();
}

void OutputStream::flush_noexcept() noexcept {
  try {
    flush();
  } catch (...) {
    // Destructors must not throw; callers who care call flush() themselves.
  }
}

// ---- memory ----
std::size_t MemoryInputStream::read(std::uint8_t* dst, std::size_t size) {
  const std::size_t n = std::min(size, data_.size() - pos_);
  if (n != 0) std::memcpy(dst, data_.data() + pos_, n);
  pos_ += n;
  return n;
}

void MemoryOutputStream::sink(const std::uint8_t* data, std::size_t size) { out_.insert(out_.end(), data, data + size); }

// ---- file descriptors ----
std::size_t FdInputStream::read(std::uint8_t* dst, std::size_t size) {
  for (;;) {
    const ssize_t n = ::read(fd_, dst, size);
    if (n >= 0) return static_cast<std::size_t>(n);
    if (errno != EINTR) throw_errno("read");
  }
}

void FdOutputStream::sink(const std::uint8_t* data, std::size_t size) {
  while (size != 0) {
    const ssize_t n = ::write(fd_, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      throw_errno("write");
    }
    data += n;
    size -= static_cast<std::size_t>(n);
  }
}

// ---- stdio ----
std::size_t FileInputStream::read(std::uint8_t* dst, std::size_t size) {
  const std::size_t n = std::fread(dst, 1, size, file_);
  if (n == 0 && std::ferror(file_)) throw_errno("fread");
  return n;
}

void FileOutputStream::sink(const std::uint8_t* data, std::size_t size) {
  if (std::fwrite(data, 1, size, file_) != size) throw_errno("fwrite");
}

void FileOutputStream::sync() {
  if (std::fflush(file_) != 0) throw_errno("fflush");
}

// ---- iostreams ----
std::size_t IstreamInputStream::read(std::uint8_t* dst, std::size_t size) {
  in_.read(reinterpret_cast<char*>(dst), static_cast<std::streamsize>(size));
  const auto n = static_cast<std::size_t>(in_.gcount());
  if (in_.bad()) throw std::system_error(std::make_error_code(std::errc::io_error), "istream read");
  return n;
}

void OstreamOutputStream::sink(const std::uint8_t* data, std::size_t size) {
  out_.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  if (!out_) throw std::system_error(std::make_error_code(std::errc::io_error), "ostream write");
}

void OstreamOutputStream::sync() {
  out_.flush();
  if (!out_) throw std::system_error(std::make_error_code(std::errc::io_error), "ostream flush");
}

}  // namespace crous
