#pragma once
// Byte stream adapters. Output streams buffer; nothing reaches the sink until
// the buffer fills or flush() is called. Concrete adapters flush what is left
// (best effort, errors swallowed) when destroyed; call flush() to see errors.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <iosfwd>
#include <span>
#include <vector>

namespace crous {

class InputStream {
 public:
  virtual ~InputStream() = default;
  // Reads up to `size` bytes; returns 0 only at end of stream. Throws
  // std::system_error on I/O errors.
  virtual std::size_t read(std::uint8_t* dst, std::size_t size) = 0;
};

class OutputStream {
 public:
  explicit OutputStream(std::size_t buffer_size = 64 * 1024);
  virtual ~OutputStream() = default;
  OutputStream(const OutputStream&) = delete;
  OutputStream& operator=(const OutputStream&) = delete;

  void write(const std::uint8_t* data, std::size_t size);
  void write(std::span<const std::uint8_t> data) { write(data.data(), data.size()); }
  // Pushes buffered bytes to the sink and asks the sink to flush its own buffers.
  void flush();
  std::size_t buffered() const noexcept { return buffer_.size(); }

 protected:
  // Receives buffered bytes; must consume all of them or throw.
  virtual void sink(const std::uint8_t* data, std::size_t size) = 0;
  virtual void sync() {}
  void flush_noexcept() noexcept;

 private:
  std::vector<std::uint8_t> buffer_;
  std::size_t capacity_;
};

// ---- memory ----
class MemoryInputStream final : public InputStream {
 public:
  explicit MemoryInputStream(std::span<const std::uint8_t> data) noexcept : data_(data) {}
  std::size_t read(std::uint8_t* dst, std::size_t size) override;
  std::size_t position() const noexcept { return pos_; }

 private:
  std::span<const std::uint8_t> data_;
  std::size_t pos_ = 0;
};

class MemoryOutputStream final : public OutputStream {
 public:
  explicit MemoryOutputStream(std::vector<std::uint8_t>& out) : OutputStream(4096), out_(out) {}
  ~MemoryOutputStream() override { flush_noexcept(); }

 protected:
  void sink(const std::uint8_t* data, std::size_t size) override;

 private:
  std::vector<std::uint8_t>& out_;
};

// ---- file descriptors (pipes, sockets, files); EINTR is retried ----
class FdInputStream final : public InputStream {
 public:
  explicit FdInputStream(int fd) noexcept : fd_(fd) {}
  std::size_t read(std::uint8_t* dst, std::size_t size) override;

 private:
  int fd_;
};

class FdOutputStream final : public OutputStream {
 public:
  explicit FdOutputStream(int fd, std::size_t buffer_size = 64 * 1024) : OutputStream(buffer_size), fd_(fd) {}
  ~FdOutputStream() override { flush_noexcept(); }

 protected:
  void sink(const std::uint8_t* data, std::size_t size) override;

 private:
  int fd_;
};

// ---- C stdio ----
class FileInputStream final : public InputStream {
 public:
  explicit FileInputStream(std::FILE* file) noexcept : file_(file) {}
  std::size_t read(std::uint8_t* dst, std::size_t size) override;

 private:
  std::FILE* file_;
};

class FileOutputStream final : public OutputStream {
 public:
  explicit FileOutputStream(std::FILE* file) : OutputStream(), file_(file) {}
  ~FileOutputStream() override { flush_noexcept(); }

 protected:
  void sink(const std::uint8_t* data, std::size_t size) override;
  void sync() override;

 private:
  std::FILE* file_;
};

// ---- iostreams ----
class IstreamInputStream final : public InputStream {
 public:
  explicit IstreamInputStream(std::istream& in) noexcept : in_(in) {}
  std::size_t read(std::uint8_t* dst, std::size_t size) override;

 private:
  std::istream& in_;
};

class OstreamOutputStream final : public OutputStream {
 public:
  explicit OstreamOutputStream(std::ostream& out) : OutputStream(), out_(out) {}
  ~OstreamOutputStream() override { flush_noexcept(); }

 protected:
  void sink(const std::uint8_t* data, std::size_t size) override;
  void sync() override;

 private:
  std::ostream& out_;
};

// ---- callbacks: sockets, compression wrappers, tests ----
class CallbackInputStream final : public InputStream {
 public:
  using ReadFn = std::function<std::size_t(std::uint8_t* dst, std::size_t size)>;
  explicit CallbackInputStream(ReadFn read) : read_(std::move(read)) {}
  std::size_t read(std::uint8_t* dst, std::size_t size) override { return read_(dst, size); }

 private:
  ReadFn read_;
};

class CallbackOutputStream final : public OutputStream {
 public:
  using WriteFn = std::function<void(const std::uint8_t* data, std::size_t size)>;
  using FlushFn = std::function<void()>;
  explicit CallbackOutputStream(WriteFn write, FlushFn flush = {}, std::size_t buffer_size = 64 * 1024)
      : OutputStream(buffer_size), write_(std::move(write)), flush_(std::move(flush)) {}
  ~CallbackOutputStream() override { flush_noexcept(); }

 protected:
  void sink(const std::uint8_t* data, std::size_t size) override { write_(data, size); }
  void sync() override {
    if (flush_) flush_();
  }

 private:
  WriteFn write_;
  FlushFn flush_;
};

}  // namespace crous
