// FLUX v1 (and legacy CROU v2) decoder into the owning Value tree: the
// shared parser (flux_parser.hpp) with a builder that constructs every value
// in place, in memory reserved once per container.
#include <string>
#include <tuple>

#include "crous/flux.hpp"
#include "flux_parser.hpp"
#include "value_access.hpp"

namespace crous {

namespace detail {

void throw_decode_error(ErrorCode code, std::size_t offset, std::string message) {
  throw DecodeError(code, offset, std::move(message));
}

namespace {

// Builds an owning Value tree. A Slot is a null Value to overwrite: every
// slot handed to the parser is freshly null (new items, new dict entries,
// reset duplicate-key values, the tagged inner value), and a null Value has
// nothing to destroy, so values are constructed straight into the storage
// without the variant's destroy-then-construct dispatch.
struct TreeBuilder {
  using Slot = Value*;
  using Data = ValueAccess::Data;

  template <class T, class... Args>
  static T& make(Slot s, Args&&... args) {
    Data* data = &ValueAccess::data(*s);
    ::new (static_cast<void*>(data)) Data(std::in_place_type<T>, std::forward<Args>(args)...);
    return *std::get_if<T>(data);
  }

  void set_null(Slot) noexcept {}
  void set_bool(Slot s, bool v) { make<bool>(s, v); }
  void set_int(Slot s, std::int64_t v) { make<std::int64_t>(s, v); }
  void set_float(Slot s, double v) { make<double>(s, v); }
  void set_string(Slot s, std::string_view v) { make<std::string>(s, v); }
  void set_bytes(Slot s, const std::uint8_t* p, std::size_t n) { make<Bytes>(s, p, p + n); }

  using Seq = std::vector<Value>*;
  Seq begin_list(Slot s, std::size_t count) {
    auto& items = make<List>(s).items();
    items.reserve(count);
    return &items;
  }
  Seq begin_tuple(Slot s, std::size_t count) {
    auto& items = make<Tuple>(s).items();
    items.reserve(count);
    return &items;
  }
  Slot next_item(Seq seq) { return &seq->emplace_back(); }
  void end_sequence(Seq) noexcept {}

  struct Map {
    Dict* dict;
    std::uint64_t filter;  // key_filter_bit of every key so far
  };
  Map begin_dict(Slot s, std::size_t count) {
    Dict& dict = make<Dict>(s);
    ValueAccess::entries(dict).reserve(count);
    return {&dict, 0};
  }
  Slot dict_slot(Map& map, std::string_view key) {
    const std::uint64_t bit = key_filter_bit(key);
    const bool may_exist = (map.filter & bit) != 0;
    map.filter |= bit;
    auto& entries = ValueAccess::entries(*map.dict);
    if (!may_exist && entries.size() < ValueAccess::dict_index_threshold) {
      // A new key in a small (unindexed) dict: append in place.
      return &entries.emplace_back(std::piecewise_construct, std::forward_as_tuple(key), std::forward_as_tuple()).second;
    }
    return ValueAccess::dict_decode_slot(*map.dict, key, may_exist);
  }
  void end_dict(Map&) noexcept {}

  Slot begin_tagged(Slot s, std::uint32_t tag) { return &make<Tagged>(s, tag, Value{}).value(); }
};
static_assert(FluxBuilder<TreeBuilder>);

}  // namespace
}  // namespace detail

std::size_t decode_flux_prefix(ByteView data, Value& out, const Limits& limits) {
  detail::FluxParser<detail::TreeBuilder> parser(data, limits, detail::TreeBuilder{});
  parser.header();
  Value v;
  parser.read_value(&v, 0);
  out = std::move(v);
  return parser.consumed();
}

Value decode_flux(ByteView data, const Limits& limits) {
  detail::FluxParser<detail::TreeBuilder> parser(data, limits, detail::TreeBuilder{});
  parser.header();
  Value out;
  parser.read_value(&out, 0);
  if (!parser.at_end())
    throw DecodeError(ErrorCode::trailing_bytes, parser.consumed(),
                      std::to_string(data.size() - parser.consumed()) + " bytes after the end of the document");
  return out;
}

std::size_t decode_flux_value(ByteView data, Value& out, const Limits& limits, unsigned depth) {
  detail::FluxParser<detail::TreeBuilder> parser(data, limits, detail::TreeBuilder{});
  Value v;
  parser.read_value(&v, depth);
  out = std::move(v);
  return parser.consumed();
}

}  // namespace crous
