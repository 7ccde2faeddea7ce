#pragma once
// Requests encoded and waiting to be written, back to back.
#include <cstddef>

#include "crous/flux.hpp"
#include "crous/value.hpp"

namespace crous::client::detail {

class RequestBuffer {
 public:
  void append(const Value& request) { encode_flux(request, bytes_); }
  Bytes& bytes() noexcept { return bytes_; }
  bool empty() const noexcept { return bytes_.empty(); }
  void clear() noexcept { bytes_.clear(); }

 private:
  Bytes bytes_;
};

}  // namespace crous::client::detail
