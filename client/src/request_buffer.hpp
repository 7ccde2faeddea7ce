#pragma once
// Requests encoded and waiting to be written, back to back.
#include <cstddef>

#include "crous/flux.hpp"
#include "crous/value.hpp"

namespace crous::client::detail {

class RequestBuffer {
 public:
  // Each record is encoded on its own, then appended: encode_flux appending
  // straight into a large buffer grows it relative to the whole buffer,
  // which made a long pipeline quadratic.
  void append(const Value& request) {
    scratch_.clear();
    encode_flux(request, scratch_);
    bytes_.insert(bytes_.end(), scratch_.begin(), scratch_.end());
  }
  Bytes& bytes() noexcept { return bytes_; }
  bool empty() const noexcept { return bytes_.empty(); }
  void clear() noexcept { bytes_.clear(); }

 private:
  Bytes scratch_;
  Bytes bytes_;
};

}  // namespace crous::client::detail
