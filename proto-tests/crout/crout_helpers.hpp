#pragma once
// Small helpers shared by the CROUT tests.
#include <algorithm>
#include <cstring>
#include <string>
#include <string_view>
#include <vector>

#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "crous/value.hpp"

namespace crous::test {

// Hands out `text` at most `chunk` bytes per read, as a slow socket would.
class ChunkedInput final : public InputStream {
 public:
  ChunkedInput(std::string_view text, std::size_t chunk) : text_(text), chunk_(chunk) {}
  std::size_t read(std::uint8_t* dst, std::size_t size) override {
    const std::size_t n = std::min({size, chunk_, text_.size() - pos_});
    std::memcpy(dst, text_.data() + pos_, n);
    pos_ += n;
    return n;
  }

 private:
  std::string_view text_;
  std::size_t chunk_;
  std::size_t pos_ = 0;
};

inline std::string text_of(const std::vector<std::uint8_t>& bytes) { return {bytes.begin(), bytes.end()}; }

inline bool contains_float(const Value& v) {
  switch (v.kind()) {
    case Kind::floating: return true;
    case Kind::list:
      for (const auto& item : v.as_list()) {
        if (contains_float(item)) return true;
      }
      return false;
    case Kind::tuple:
      for (const auto& item : v.as_tuple()) {
        if (contains_float(item)) return true;
      }
      return false;
    case Kind::dict:
      for (const auto& [key, item] : v.as_dict()) {
        if (contains_float(item)) return true;
      }
      return false;
    case Kind::tagged: return contains_float(v.as_tagged().value());
    default: return false;
  }
}

}  // namespace crous::test
