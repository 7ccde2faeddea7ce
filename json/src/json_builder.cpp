#include "json_builder.hpp"

#include <utility>

namespace crous::json {

namespace {
// nlohmann's exception id for a number out of the range of a double.
constexpr int number_overflow_id = 406;
}  // namespace

Json* JsonBuilder::add(Json&& value) {
  if (open_.empty()) {
    root_ = std::move(value);
    return &root_;
  }
  Json& container = *open_.back();
  if (container.is_array()) {
    container.push_back(std::move(value));
    return &container.back();
  }
  Json& slot = container[key_];  // a repeated key keeps its first place, takes the last value
  slot = std::move(value);
  return &slot;
}

bool JsonBuilder::open(Json&& container) {
  if (open_.size() >= max_nesting_)
    throw DecodeError(ErrorCode::depth_exceeded, 0, "JSON nested deeper than " + std::to_string(max_nesting_) + " arrays and objects");
  open_.push_back(add(std::move(container)));
  return true;
}

bool JsonBuilder::null() {
  add(nullptr);
  return true;
}

bool JsonBuilder::boolean(bool value) {
  add(value);
  return true;
}

bool JsonBuilder::number_integer(Json::number_integer_t value) {
  add(value);
  return true;
}

bool JsonBuilder::number_unsigned(Json::number_unsigned_t value) {
  add(value);
  return true;
}

// nlohmann reads an integer that fits neither int64 nor uint64 as a float;
// written without '.' or exponent, it was meant as an integer.
bool JsonBuilder::number_float(Json::number_float_t value, const std::string& text) {
  if (text.find_first_of(".eE") == std::string::npos)
    throw DecodeError(ErrorCode::invalid_value, 0, "integer " + text + " does not fit in 64 signed bits");
  add(value);
  return true;
}

bool JsonBuilder::string(std::string& value) {
  add(std::move(value));
  return true;
}

bool JsonBuilder::binary(Json::binary_t&) {
  throw DecodeError(ErrorCode::invalid_value, 0, "JSON binary values are not supported");
}

bool JsonBuilder::start_object(std::size_t) { return open(Json::object()); }

bool JsonBuilder::key(std::string& key) {
  key_ = std::move(key);
  return true;
}

bool JsonBuilder::end_object() {
  open_.pop_back();
  return true;
}

bool JsonBuilder::start_array(std::size_t) { return open(Json::array()); }

bool JsonBuilder::end_array() {
  open_.pop_back();
  return true;
}

// `position` is just past the token the parser stopped at.
bool JsonBuilder::parse_error(std::size_t position, const std::string& last_token, const Json::exception& error) {
  if (error.id == number_overflow_id) {
    const std::size_t start = position >= last_token.size() ? position - last_token.size() : 0;
    failure_.emplace(ErrorCode::invalid_value, start, "number " + last_token + " is out of the range of a 64-bit float");
  } else {
    failure_.emplace(ErrorCode::syntax, position > 0 ? position - 1 : 0, error.what());
  }
  return false;
}

}  // namespace crous::json
