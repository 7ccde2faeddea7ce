#include "flux_shape.hpp"

#include <string_view>
#include <unordered_set>

namespace crous::fuzz {

namespace {

// Walks a record the decoder already accepted, so it needs no bounds checks
// beyond what the format guarantees.
class FluxShapeWalker {
 public:
  explicit FluxShapeWalker(ByteView data) : data_(data) {}

  void value() {
    const std::uint8_t tag = data_[pos_++];
    switch (tag) {
      case 0x00:
      case 0x01:
      case 0x02: return;
      case 0x03: varint(); return;
      case 0x04: pos_ += 8; return;
      case 0x05:
      case 0x06: pos_ += varint(); return;
      case 0x07:
      case 0x0A:
        for (std::uint64_t n = varint(); n > 0; --n) value();
        return;
      case 0x08: {
        std::unordered_set<std::string_view> keys;
        for (std::uint64_t n = varint(); n > 0; --n) {
          const std::size_t size = varint();
          const std::string_view key(reinterpret_cast<const char*>(data_.data() + pos_), size);
          pos_ += size;
          if (!keys.insert(key).second) shape_.repeated_keys = true;
          value();
        }
        return;
      }
      case 0x09:
        varint();
        value();
        return;
      default: non_canonical_ = true; return;  // a legacy one-byte small int (0x10-0x48)
    }
  }

  FluxShape shape() const {
    FluxShape shape = shape_;
    shape.flux = true;
    shape.canonical = !non_canonical_ && !shape.repeated_keys;
    return shape;
  }

  void note_flags(std::uint8_t flags) { non_canonical_ |= flags != 0; }

 private:
  std::size_t varint() {
    std::uint64_t n = 0;
    unsigned shift = 0;
    const std::size_t start = pos_;
    for (;;) {
      const std::uint8_t byte = data_[pos_++];
      if (shift < 64) n |= static_cast<std::uint64_t>(byte & 0x7F) << shift;
      shift += 7;
      if ((byte & 0x80) == 0) {
        // Shortest form: only a one-byte varint may end in a zero group.
        if (byte == 0 && pos_ - start > 1) non_canonical_ = true;
        return static_cast<std::size_t>(n);
      }
    }
  }

  ByteView data_;
  std::size_t pos_ = flux_header_size;
  FluxShape shape_;
  bool non_canonical_ = false;
};

}  // namespace

FluxShape describe_flux(ByteView record) {
  if (record.size() < flux_header_size || record[0] != 'F') return {};  // legacy CROU
  FluxShapeWalker walker(record);
  walker.note_flags(record[5]);
  walker.value();
  return walker.shape();
}

}  // namespace crous::fuzz
