#pragma once
// Codec-internal access to the value model's storage, so the decoder can
// construct values in place and the encoder can read them without a checked
// accessor per node. Not part of the public API.
#include <string_view>
#include <vector>

#include "crous/value.hpp"

namespace crous::detail {

struct ValueAccess {
  using Data = Value::Data;
  static Data& data(Value& v) noexcept { return v.data_; }
  static const Data& data(const Value& v) noexcept { return v.data_; }
  static std::vector<Dict::Entry>& entries(Dict& d) noexcept { return d.entries_; }

  // Decoder support: the slot for `key` in a dict being decoded. An existing
  // key's value is returned for overwriting (later value wins, first position
  // kept), reset to null; a new key is appended with a null value. The caller reserved room
  // for every declared entry, so returned pointers stay valid while the
  // dict is filled.
  // `may_exist` false promises the key is not in the dict yet (the caller's
  // filter says so), which skips the search while the dict is unindexed.
  static Value* dict_decode_slot(Dict& d, std::string_view key, bool may_exist);
  // Dicts up to this many entries have no hash index (dict.cpp).
  static constexpr std::size_t dict_index_threshold = 16;
};

}  // namespace crous::detail
