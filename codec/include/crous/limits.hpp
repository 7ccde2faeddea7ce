#pragma once
#include <cstddef>

namespace crous {

// Bounds applied to untrusted input. The defaults are safe for a server.
struct Limits {
  // Largest record (header + value) accepted, in bytes.
  std::size_t max_record_bytes = std::size_t{16} << 20;
  // Deepest nesting of containers (list, tuple, dict, tagged) accepted; a
  // root container is depth 1. 256 matches the original implementation.
  unsigned max_depth = 256;
  // Reject strings and dict keys that are not valid UTF-8.
  bool validate_utf8 = true;
};

}  // namespace crous
