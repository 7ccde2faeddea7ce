#include "crout/flux_emitter.hpp"

#include <bit>
#include <cstring>
#include <string>

#include "crous/error.hpp"
#include "crous/flux.hpp"
#include "flux_format.hpp"

namespace crous::detail {

FluxEmitter::FluxEmitter(Bytes& out, const Limits& limits)
    : out_(out), start_(out.size()), max_bytes_(limits.max_record_bytes) {
  put_raw(flux_v1_header, sizeof flux_v1_header);
}

void FluxEmitter::null_value() {
  item();
  put_tag(flux_tag::null);
}

void FluxEmitter::boolean(bool b) {
  item();
  put_tag(b ? flux_tag::true_ : flux_tag::false_);
}

void FluxEmitter::integer(std::int64_t n) {
  item();
  put_tag(flux_tag::integer);
  put_varint(zigzag(n));
}

void FluxEmitter::floating(double d) {
  item();
  put_tag(flux_tag::floating);
  std::uint8_t bits[8];
  store_u64_le(bits, std::bit_cast<std::uint64_t>(d));
  put_raw(bits, sizeof bits);
}

void FluxEmitter::string(std::string_view s) {
  item();
  put_tag(flux_tag::string);
  put_varint(s.size());
  put_raw(s.data(), s.size());
  check_size();
}

void FluxEmitter::bytes(std::span<const std::uint8_t> b) {
  item();
  put_tag(flux_tag::bytes);
  put_varint(b.size());
  put_raw(b.data(), b.size());
  check_size();
}

void FluxEmitter::begin_list() { begin_counted(flux_tag::list, false); }
void FluxEmitter::begin_tuple() { begin_counted(flux_tag::tuple, false); }
void FluxEmitter::begin_dict() { begin_counted(flux_tag::dict, true); }

void FluxEmitter::begin_tagged(std::uint32_t tag) {
  item();
  put_tag(flux_tag::tagged);
  put_varint(tag);
  stack_.push_back({0, 0, false, false});
}

void FluxEmitter::key(std::string_view k) {
  ++stack_.back().count;
  put_varint(k.size());
  put_raw(k.data(), k.size());
  check_size();
}

void FluxEmitter::end() {
  const Open open = stack_.back();
  stack_.pop_back();
  if (!open.counted) return;
  std::uint8_t varint[max_varint_bytes];
  const auto size = static_cast<std::size_t>(detail::put_varint(varint, open.count) - varint);
  if (size > 1) out_.insert(out_.begin() + static_cast<std::ptrdiff_t>(open.count_at) + 1, size - 1, 0);
  std::memcpy(out_.data() + open.count_at, varint, size);
  check_size();
}

void FluxEmitter::item() {
  if (!stack_.empty() && stack_.back().counted && !stack_.back().dict) ++stack_.back().count;
}

void FluxEmitter::begin_counted(std::uint8_t tag, bool dict) {
  item();
  put_tag(tag);
  stack_.push_back({out_.size(), 0, true, dict});
  out_.push_back(0);  // count placeholder
}

void FluxEmitter::put_varint(std::uint64_t v) {
  std::uint8_t buffer[max_varint_bytes];
  put_raw(buffer, static_cast<std::size_t>(detail::put_varint(buffer, v) - buffer));
}

void FluxEmitter::put_raw(const void* data, std::size_t size) {
  const auto* p = static_cast<const std::uint8_t*>(data);
  out_.insert(out_.end(), p, p + size);
}

void FluxEmitter::check_size() {
  if (out_.size() - start_ > max_bytes_) {
    throw DecodeError(ErrorCode::limit_exceeded, 0, "the FLUX record would exceed the record limit of " + std::to_string(max_bytes_) + " bytes");
  }
}

}  // namespace crous::detail
