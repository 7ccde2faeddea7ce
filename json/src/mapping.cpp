#include "crous/json/mapping.hpp"

#include <cmath>
#include <limits>
#include <string>

#include "base64.hpp"
#include "crous/error.hpp"

namespace crous::json {

namespace {

[[noreturn]] void invalid(const std::string& message) { throw DecodeError(ErrorCode::invalid_value, 0, message); }

std::string special_float_name(double d) {
  if (std::isnan(d)) return std::signbit(d) ? "-nan" : "nan";
  return d > 0 ? "inf" : "-inf";
}

double special_float(const std::string& name) {
  if (name == "nan") return std::numeric_limits<double>::quiet_NaN();
  if (name == "-nan") return -std::numeric_limits<double>::quiet_NaN();
  if (name == "inf") return std::numeric_limits<double>::infinity();
  if (name == "-inf") return -std::numeric_limits<double>::infinity();
  invalid("$float must be \"nan\", \"-nan\", \"inf\" or \"-inf\", not \"" + name + "\"");
}

// True for a one-key object whose key is a marker, or {"$tag", "value"}:
// the shapes from_json reads as something other than a dict.
bool looks_like_marker(const Json& object) {
  if (object.size() == 1) {
    const std::string& key = object.begin().key();
    return key == "$bytes" || key == "$tuple" || key == "$float" || key == "$dict";
  }
  return object.size() == 2 && object.contains("$tag") && object.contains("value");
}

Json dict_to_json(const Dict& dict) {
  Json object = Json::object();
  for (const auto& [key, item] : dict) object[key] = to_json(item);
  if (looks_like_marker(object)) return Json{{"$dict", std::move(object)}};
  return object;
}

// JSON back to a Value, nesting counted as the FLUX decoder counts it: each
// list, tuple, dict and tagged value is one level (the root container is
// level 1), whatever marker objects JSON needs around it.
class ValueReader {
 public:
  explicit ValueReader(unsigned max_depth) noexcept : max_depth_(max_depth) {}

  // `depth`: the level of the container `json` is in (0 for the root).
  Value value(const Json& json, unsigned depth) {
    switch (json.type()) {
      case Json::value_t::null: return nullptr;
      case Json::value_t::boolean: return json.get<bool>();
      case Json::value_t::number_integer: return json.get<std::int64_t>();
      case Json::value_t::number_unsigned: {
        const auto n = json.get<std::uint64_t>();
        if (n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) invalid("integer " + std::to_string(n) + " does not fit in 64 signed bits");
        return static_cast<std::int64_t>(n);
      }
      case Json::value_t::number_float: return json.get<double>();
      case Json::value_t::string: return json.get_ref<const std::string&>();
      case Json::value_t::array: return sequence<List>(json, depth);
      case Json::value_t::object:
        if (json.size() == 2 && json.contains("$tag") && json.contains("value")) return tagged(json, depth);
        if (json.size() == 1 && looks_like_marker(json)) return marker(json, depth);
        return dict(json, depth);
      default: invalid("JSON binary values are not supported");
    }
  }

 private:
  unsigned nested(unsigned depth) const {
    if (depth + 1 > max_depth_) throw DecodeError(ErrorCode::depth_exceeded, 0, "nesting deeper than the limit of " + std::to_string(max_depth_));
    return depth + 1;
  }

  Value dict(const Json& object, unsigned depth) {
    const unsigned level = nested(depth);
    Dict dict;
    for (const auto& [key, item] : object.items()) dict.insert_or_assign(key, value(item, level));
    return dict;
  }

  template <class Sequence>
  Sequence sequence(const Json& array, unsigned depth) {
    const unsigned level = nested(depth);
    Sequence out;
    out.reserve(array.size());
    for (const auto& item : array) out.push_back(value(item, level));
    return out;
  }

  Value marker(const Json& object, unsigned depth) {
    const std::string& key = object.begin().key();
    const Json& inner = object.begin().value();
    if (key == "$bytes" && inner.is_string()) {
      if (auto bytes = base64_decode(inner.get_ref<const std::string&>())) return std::move(*bytes);
      invalid("$bytes does not hold valid padded base64");
    }
    if (key == "$tuple" && inner.is_array()) return sequence<Tuple>(inner, depth);
    if (key == "$float" && inner.is_string()) return special_float(inner.get_ref<const std::string&>());
    if (key == "$dict" && inner.is_object()) return dict(inner, depth);
    invalid("malformed " + key + " marker");
  }

  Value tagged(const Json& object, unsigned depth) {
    const Json& tag = object.at("$tag");
    if (!tag.is_number_unsigned() || tag.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
      invalid("$tag must be an integer from 0 to 4294967295");
    }
    return Tagged(tag.get<std::uint32_t>(), value(object.at("value"), nested(depth)));
  }

  unsigned max_depth_;
};

}  // namespace

Json to_json(const Value& value) {
  switch (value.kind()) {
    case Kind::null: return nullptr;
    case Kind::boolean: return value.as_bool();
    case Kind::integer: return value.as_int();
    case Kind::floating: {
      const double d = value.as_float();
      if (std::isfinite(d)) return d;
      return Json{{"$float", special_float_name(d)}};
    }
    case Kind::string: return value.as_string();
    case Kind::bytes: return Json{{"$bytes", base64_encode(value.as_bytes())}};
    case Kind::list: {
      Json array = Json::array();
      for (const auto& item : value.as_list()) array.push_back(to_json(item));
      return array;
    }
    case Kind::tuple: {
      Json array = Json::array();
      for (const auto& item : value.as_tuple()) array.push_back(to_json(item));
      return Json{{"$tuple", std::move(array)}};
    }
    case Kind::dict: return dict_to_json(value.as_dict());
    case Kind::tagged: return Json{{"$tag", value.as_tagged().tag()}, {"value", to_json(value.as_tagged().value())}};
  }
  return nullptr;
}

Value from_json(const Json& json, const Limits& limits) { return ValueReader(limits.max_depth).value(json, 0); }

}  // namespace crous::json
