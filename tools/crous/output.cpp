#include "output.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <system_error>
#include <vector>

#include "cli_error.hpp"

namespace crous::cli {

namespace {
[[noreturn]] void io_error(const std::string& what) { throw CliError(exit_io, what + ": " + std::strerror(errno)); }
}  // namespace

Output::Output(const std::string& path, std::optional<Lz4Format> compress) {
  if (path != "-") {
    path_ = path;
    std::vector<char> name(path.begin(), path.end());
    const std::string suffix = ".tmp-XXXXXX";
    name.insert(name.end(), suffix.begin(), suffix.end());
    name.push_back('\0');
    fd_ = ::mkostemp(name.data(), O_CLOEXEC);
    if (fd_ < 0) io_error("cannot create a temporary file for " + path);
    temp_path_ = name.data();
  }
  stream_ = std::make_unique<FdOutputStream>(fd_);
  if (compress) lz4_ = std::make_unique<Lz4OutputStream>(*stream_, *compress);
}

Output::~Output() {
  lz4_.reset();  // its last block goes into stream_, which must still be there
  if (temp_path_.empty()) return;
  stream_.reset();
  ::close(fd_);
  ::unlink(temp_path_.c_str());
}

void Output::write(std::string_view text) {
  stream().write(reinterpret_cast<const std::uint8_t*>(text.data()), text.size());
}

void Output::commit() {
  try {
    stream().flush();  // the LZ4 stream ends its last block and flushes the file's
  } catch (const std::system_error& e) {
    throw CliError(exit_io, "cannot write " + (path_.empty() ? std::string("<stdout>") : path_) + ": " + e.what());
  }
  if (temp_path_.empty()) return;
  // mkstemp makes the file private; give it the mode a new file would get.
  const mode_t mask = ::umask(0);
  ::umask(mask);
  if (::fchmod(fd_, 0666 & ~mask) != 0) io_error("cannot set the mode of " + temp_path_);
  if (::close(fd_) != 0) io_error("cannot write " + path_);
  fd_ = -1;
  if (::rename(temp_path_.c_str(), path_.c_str()) != 0) {
    ::unlink(temp_path_.c_str());
    temp_path_.clear();
    io_error("cannot rename the temporary file to " + path_);
  }
  temp_path_.clear();
}

}  // namespace crous::cli
