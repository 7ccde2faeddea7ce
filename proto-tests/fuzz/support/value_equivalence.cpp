#include "value_equivalence.hpp"

#include <cmath>

namespace crous::fuzz {

namespace {

template <class Sequence>
bool equal_items(const Sequence& a, const Sequence& b) {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    if (!equal_but_any_nan(a[i], b[i])) return false;
  }
  return true;
}

}  // namespace

bool equal_but_any_nan(const Value& a, const Value& b) {
  if (a.kind() != b.kind()) return false;
  switch (a.kind()) {
    case Kind::floating:
      if (std::isnan(a.as_float()) && std::isnan(b.as_float())) return true;
      return a == b;
    case Kind::list: return equal_items(a.as_list(), b.as_list());
    case Kind::tuple: return equal_items(a.as_tuple(), b.as_tuple());
    case Kind::dict: {
      const auto& x = a.as_dict().entries();
      const auto& y = b.as_dict().entries();
      if (x.size() != y.size()) return false;
      for (std::size_t i = 0; i < x.size(); ++i) {
        if (x[i].first != y[i].first || !equal_but_any_nan(x[i].second, y[i].second)) return false;
      }
      return true;
    }
    case Kind::tagged:
      return a.as_tagged().tag() == b.as_tagged().tag() && equal_but_any_nan(a.as_tagged().value(), b.as_tagged().value());
    default: return a == b;
  }
}

}  // namespace crous::fuzz
