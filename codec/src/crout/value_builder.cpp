#include "crout/value_builder.hpp"

#include <iterator>

#include "value_access.hpp"

namespace crous::detail {

void ValueBuilder::end() {
  const Open open = stack_.back();
  stack_.pop_back();
  switch (open.kind) {
    case Kind::list: add(take_sequence<List>(open)); break;
    case Kind::tuple: add(take_sequence<Tuple>(open)); break;
    case Kind::dict: add(take_dict(open)); break;
    default:
      // The inner value is wrapped where it stands.
      items_.back() = Tagged(open.tag, std::move(items_.back()));
      if (stack_.empty()) {
        root_ = std::move(items_.back());
        items_.pop_back();
      }
  }
}

template <class Sequence>
Value ValueBuilder::take_sequence(const Open& open) {
  const auto first = items_.begin() + static_cast<std::ptrdiff_t>(open.first_item);
  std::vector<Value> items(std::make_move_iterator(first), std::make_move_iterator(items_.end()));
  items_.erase(first, items_.end());
  return Sequence(std::move(items));
}

// The FLUX decoder's own way into a dict: a repeated key keeps its first
// position and takes the later value, in linear time overall.
Value ValueBuilder::take_dict(const Open& open) {
  Value out{Dict{}};
  Dict& dict = out.as_dict();
  dict.reserve(keys_.size() - open.first_key);
  for (std::size_t k = open.first_key, i = open.first_item; k < keys_.size(); ++k, ++i) {
    *ValueAccess::dict_decode_slot(dict, keys_[k], true) = std::move(items_[i]);
  }
  keys_.resize(open.first_key);
  items_.resize(open.first_item);
  return out;
}

}  // namespace crous::detail
