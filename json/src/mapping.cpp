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

Value dict_from_json(const Json& object) {
  Dict dict;
  for (const auto& [key, item] : object.items()) dict.insert_or_assign(key, from_json(item));
  return dict;
}

template <class Sequence>
Sequence sequence_from_json(const Json& array) {
  Sequence out;
  out.reserve(array.size());
  for (const auto& item : array) out.push_back(from_json(item));
  return out;
}

Value marker_from_json(const Json& object) {
  const std::string& key = object.begin().key();
  const Json& inner = object.begin().value();
  if (key == "$bytes" && inner.is_string()) {
    if (auto bytes = base64_decode(inner.get_ref<const std::string&>())) return std::move(*bytes);
    invalid("$bytes does not hold valid padded base64");
  }
  if (key == "$tuple" && inner.is_array()) return sequence_from_json<Tuple>(inner);
  if (key == "$float" && inner.is_string()) return special_float(inner.get_ref<const std::string&>());
  if (key == "$dict" && inner.is_object()) return dict_from_json(inner);
  invalid("malformed " + key + " marker");
}

Value tagged_from_json(const Json& object) {
  const Json& tag = object.at("$tag");
  if (!tag.is_number_unsigned() || tag.get<std::uint64_t>() > std::numeric_limits<std::uint32_t>::max()) {
    invalid("$tag must be an integer from 0 to 4294967295");
  }
  return Tagged(tag.get<std::uint32_t>(), from_json(object.at("value")));
}

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

Value from_json(const Json& json) {
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
    case Json::value_t::array: return sequence_from_json<List>(json);
    case Json::value_t::object:
      if (json.size() == 2 && json.contains("$tag") && json.contains("value")) return tagged_from_json(json);
      if (json.size() == 1 && looks_like_marker(json)) return marker_from_json(json);
      return dict_from_json(json);
    default: invalid("JSON binary values are not supported");
  }
}

}  // namespace crous::json
