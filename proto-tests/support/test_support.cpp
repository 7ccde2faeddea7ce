#include "test_support.hpp"

#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <bit>
#include <cmath>
#include <fstream>
#include <iterator>
#include <limits>
#include <sstream>
#include <stdexcept>

namespace crous::test {

namespace fs = std::filesystem;

CommandOutcome run_command(const std::string& command) {
  FILE* pipe = popen(command.c_str(), "r");
  if (!pipe) throw std::runtime_error("popen failed: " + command);
  CommandOutcome out{};
  std::array<char, 4096> buf;
  while (std::size_t n = fread(buf.data(), 1, buf.size(), pipe)) out.output.append(buf.data(), n);
  const int raw = pclose(pipe);
  out.status = WIFEXITED(raw) ? WEXITSTATUS(raw) : -1;
  return out;
}

fs::path golden_dir() {
  const fs::path dir = fs::path(CROUS_SHARED_DIR) / "golden";
  if (!fs::is_directory(dir)) {
    // Conformance must never pass vacuously: a missing folder is a failure.
    ADD_FAILURE() << "golden vectors not found at " << dir << " (expected ../shared/golden beside the checkout)";
    throw std::runtime_error("golden vectors missing: " + dir.string());
  }
  return dir;
}

std::vector<fs::path> golden_files(const std::string& sub, const std::string& extension) {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(golden_dir() / sub))
    if (entry.path().extension() == extension) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  if (files.empty()) throw std::runtime_error("no " + extension + " files in golden/" + sub);
  return files;
}

std::vector<std::uint8_t> read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot open " + path.string());
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::string read_text(const fs::path& path) {
  const auto bytes = read_file(path);
  return {bytes.begin(), bytes.end()};
}

void write_file(const fs::path& path, const std::vector<std::uint8_t>& data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(reinterpret_cast<const char*>(data.data()), static_cast<std::streamsize>(data.size()));
  if (!out) throw std::runtime_error("cannot write " + path.string());
}

fs::path bin_dir() { return fs::path(CROUS_BIN_DIR); }

namespace {
struct TempDirs {
  std::vector<fs::path> dirs;
  ~TempDirs() {
    std::error_code ec;
    for (const auto& d : dirs) fs::remove_all(d, ec);
  }
};
TempDirs temp_dirs;
}  // namespace

fs::path temp_dir(const std::string& name) {
  const fs::path dir = fs::temp_directory_path() /
                       ("crous-test-" + name + "-" + std::to_string(::getpid()) + "-" + std::to_string(temp_dirs.dirs.size()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  temp_dirs.dirs.push_back(dir);
  return dir;
}

namespace {
// Reads a "Name:   123 kB" line of /proc/self/status.
std::size_t status_kb(const std::string& field) {
  std::ifstream in("/proc/self/status");
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind(field + ":", 0) == 0) {
      std::istringstream fields(line.substr(field.size() + 1));
      std::size_t kb = 0;
      fields >> kb;
      return kb * 1024;
    }
  }
  throw std::runtime_error("no " + field + " in /proc/self/status");
}
}  // namespace

std::size_t current_rss_bytes() { return status_kb("VmRSS"); }
std::size_t peak_rss_bytes() { return status_kb("VmHWM"); }

// ---- random values ----
RandomValueGenerator::RandomValueGenerator(std::uint64_t seed, RandomValueOptions options)
    : rng_(seed), options_(options) {}

Value RandomValueGenerator::next() { return value(0); }

std::size_t RandomValueGenerator::count() {
  return std::uniform_int_distribution<std::size_t>(0, options_.max_items)(rng_);
}

std::string RandomValueGenerator::string() {
  static const char* const pieces[] = {"a", "Z", "9", " ", "_", "é", "☃", "😀", "\n", ",", "}", ":", "\0", "s3:", "//"};
  const std::size_t plain = options_.odd_strings ? std::size(pieces) : 5;
  std::string s;
  const std::size_t n = std::uniform_int_distribution<std::size_t>(0, options_.max_string)(rng_);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = std::uniform_int_distribution<std::size_t>(0, plain - 1)(rng_);
    if (k == 12) {
      s.push_back('\0');
    } else {
      s += pieces[k];
    }
  }
  return s;
}

std::string RandomValueGenerator::key() {
  // A small key alphabet makes repeated keys (and CROUT tokens) common.
  static const char* const keys[] = {"id", "name", "x", "y", "tags", "value", "a_b", "k9"};
  if (std::uniform_int_distribution<int>(0, 3)(rng_) != 0)
    return keys[std::uniform_int_distribution<std::size_t>(0, std::size(keys) - 1)(rng_)];
  return string();
}

Value RandomValueGenerator::value(unsigned depth) {
  const int leaf_kinds = 6;
  const int kinds = depth >= options_.max_depth ? leaf_kinds : 10;
  switch (std::uniform_int_distribution<int>(0, kinds - 1)(rng_)) {
    case 0: return nullptr;
    case 1: return std::uniform_int_distribution<int>(0, 1)(rng_) == 1;
    case 2: {
      switch (std::uniform_int_distribution<int>(0, 3)(rng_)) {
        case 0: return std::uniform_int_distribution<std::int64_t>(-40, 40)(rng_);
        case 1: return std::numeric_limits<std::int64_t>::min() + std::uniform_int_distribution<std::int64_t>(0, 2)(rng_);
        case 2: return std::numeric_limits<std::int64_t>::max() - std::uniform_int_distribution<std::int64_t>(0, 2)(rng_);
        default: return static_cast<std::int64_t>(rng_());
      }
    }
    case 3: {
      if (!options_.floats) return static_cast<std::int64_t>(rng_() % 1000);
      static const double specials[] = {0.0, -0.0, 1.5, 3.14, 1e300, -1e-300, 5e-324,
                                        std::numeric_limits<double>::infinity(),
                                        -std::numeric_limits<double>::infinity(),
                                        std::numeric_limits<double>::quiet_NaN()};
      if (std::uniform_int_distribution<int>(0, 1)(rng_) == 0)
        return specials[std::uniform_int_distribution<std::size_t>(0, std::size(specials) - 1)(rng_)];
      double d;
      do {
        d = std::bit_cast<double>(rng_());
      } while (std::isnan(d));
      return d;
    }
    case 4: return string();
    case 5: {
      Bytes b(std::uniform_int_distribution<std::size_t>(0, options_.max_string)(rng_));
      for (auto& x : b) x = static_cast<std::uint8_t>(rng_());
      return b;
    }
    case 6: {
      List l;
      for (std::size_t i = count(); i > 0; --i) l.push_back(value(depth + 1));
      return l;
    }
    case 7: {
      Tuple t;
      for (std::size_t i = count(); i > 0; --i) t.push_back(value(depth + 1));
      return t;
    }
    case 8: {
      Dict d;
      for (std::size_t i = count(); i > 0; --i) d.insert_or_assign(key(), value(depth + 1));
      return d;
    }
    default: {
      static const std::uint32_t tags[] = {90, 91, 100, 4294967295u, 0};
      return Tagged(tags[std::uniform_int_distribution<std::size_t>(0, std::size(tags) - 1)(rng_)], value(depth + 1));
    }
  }
}

}  // namespace crous::test
