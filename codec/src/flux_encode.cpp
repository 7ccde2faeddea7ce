// FLUX v1 encoder: one pass over the tree, writing through a raw pointer into
// the output vector. Room is checked per value (one compare) and the vector
// grows geometrically when short, so the total work is linear; the vector is
// trimmed to the bytes written at the end.
#include <algorithm>
#include <bit>
#include <cstring>

#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "flux_format.hpp"
#include "value_access.hpp"

namespace crous {

namespace {

using namespace detail;

// Room for a tag and a varint.
constexpr std::size_t small_item = 1 + max_varint_bytes;

class Writer {
 public:
  explicit Writer(Bytes& out) : out_(out), base_(out.size()) {
    // A first guess that fits typical records; grown geometrically after.
    out_.resize(base_ + 256);
    p_ = out_.data() + base_;
    end_ = out_.data() + out_.size();
  }
  // Trims the vector to what was written.
  void finish() { out_.resize(static_cast<std::size_t>(p_ - out_.data())); }

  void ensure(std::size_t n) {
    if (n > static_cast<std::size_t>(end_ - p_)) [[unlikely]]
      grow(n);
  }

  void put_value(const Value& v);

  void header() {
    ensure(flux_header_size);
    std::memcpy(p_, flux_v1_header, flux_header_size);
    p_ += flux_header_size;
  }

 private:
  // Grows by the size of this record so far (not of the whole vector, which
  // may hold many earlier records: that would make appending quadratic).
  // The vector's own capacity growth keeps reallocations amortised.
  __attribute__((noinline)) void grow(std::size_t n) {
    const std::size_t used = static_cast<std::size_t>(p_ - out_.data());
    out_.resize(used + std::max(n + 256, used - base_));
    p_ = out_.data() + used;
    end_ = out_.data() + out_.size();
  }

  // Caller ensured room for the varint and the bytes.
  void put_blob(const void* data, std::size_t size) {
    p_ = put_varint(p_, size);
    if (size != 0) std::memcpy(p_, data, size);
    p_ += size;
  }

  template <class Seq>
  void put_sequence(std::uint8_t tag, const Seq& seq) {
    ensure(small_item);
    *p_++ = tag;
    p_ = put_varint(p_, seq.size());
    for (const Value& item : seq) put_value(item);
  }

  Bytes& out_;
  std::size_t base_;
  std::uint8_t* p_;
  std::uint8_t* end_;
};

// The tree is scattered over the heap: a record is a few separately
// allocated arrays (dict entries, list items, long strings). Before writing a
// container, ask for all its cache lines at once, and for the first line of
// each child's own array, so the misses overlap instead of queueing.
inline void prefetch_range(const void* begin, std::size_t bytes) noexcept {
  const char* p = static_cast<const char*>(begin);
  const std::size_t n = std::min<std::size_t>(bytes, 1024);  // the head; the hardware prefetcher takes the rest
  for (std::size_t off = 0; off < n; off += 64) __builtin_prefetch(p + off);
}

inline void prefetch_children_of(const Value& v) noexcept {
  const auto& data = ValueAccess::data(v);
  switch (static_cast<Kind>(data.index())) {
    case Kind::string: __builtin_prefetch(std::get_if<std::string>(&data)->data()); break;
    case Kind::bytes: __builtin_prefetch(std::get_if<Bytes>(&data)->data()); break;
    case Kind::list: {
      const auto& items = std::get_if<List>(&data)->items();
      prefetch_range(items.data(), items.size() * sizeof(Value));
      break;
    }
    case Kind::tuple: {
      const auto& items = std::get_if<Tuple>(&data)->items();
      prefetch_range(items.data(), items.size() * sizeof(Value));
      break;
    }
    case Kind::dict: {
      const auto& entries = std::get_if<Dict>(&data)->entries();
      prefetch_range(entries.data(), entries.size() * sizeof(Dict::Entry));
      break;
    }
    default: break;
  }
}

void Writer::put_value(const Value& v) {
  const auto& data = ValueAccess::data(v);
  switch (static_cast<Kind>(data.index())) {
    case Kind::null:
      ensure(1);
      *p_++ = flux_tag::null;
      return;
    case Kind::boolean:
      ensure(1);
      *p_++ = *std::get_if<bool>(&data) ? flux_tag::true_ : flux_tag::false_;
      return;
    case Kind::integer:
      ensure(small_item);
      *p_++ = flux_tag::integer;
      p_ = put_varint(p_, zigzag(*std::get_if<std::int64_t>(&data)));
      return;
    case Kind::floating: {
      ensure(9);
      *p_++ = flux_tag::floating;
      store_u64_le(p_, std::bit_cast<std::uint64_t>(*std::get_if<double>(&data)));
      p_ += 8;
      return;
    }
    case Kind::string: {
      const std::string& s = *std::get_if<std::string>(&data);
      ensure(small_item + s.size());
      *p_++ = flux_tag::string;
      put_blob(s.data(), s.size());
      return;
    }
    case Kind::bytes: {
      const Bytes& b = *std::get_if<Bytes>(&data);
      ensure(small_item + b.size());
      *p_++ = flux_tag::bytes;
      put_blob(b.data(), b.size());
      return;
    }
    case Kind::list: put_sequence(flux_tag::list, *std::get_if<List>(&data)); return;
    case Kind::tuple: put_sequence(flux_tag::tuple, *std::get_if<Tuple>(&data)); return;
    case Kind::dict: {
      const Dict& d = *std::get_if<Dict>(&data);
      ensure(small_item);
      *p_++ = flux_tag::dict;
      p_ = put_varint(p_, d.size());
      if (d.size() <= 64)
        for (const auto& entry : d) prefetch_children_of(entry.second);
      for (const auto& [key, item] : d) {
        ensure(max_varint_bytes + key.size());
        put_blob(key.data(), key.size());
        put_value(item);
      }
      return;
    }
    case Kind::tagged: {
      const Tagged& t = *std::get_if<Tagged>(&data);
      ensure(small_item);
      *p_++ = flux_tag::tagged;
      p_ = put_varint(p_, t.tag());
      put_value(t.value());
      return;
    }
  }
}

}  // namespace

void encode_flux_value(const Value& value, Bytes& out) {
  prefetch_children_of(value);
  Writer w(out);
  w.put_value(value);
  w.finish();
}

void encode_flux(const Value& value, Bytes& out) {
  prefetch_children_of(value);
  Writer w(out);
  w.header();
  w.put_value(value);
  w.finish();
}

Bytes encode_flux(const Value& value) {
  Bytes out;
  encode_flux(value, out);
  return out;
}

void encode_flux(const Value& value, OutputStream& out) {
  Bytes scratch;
  encode_flux(value, scratch);
  out.write(scratch.data(), scratch.size());
}

}  // namespace crous
