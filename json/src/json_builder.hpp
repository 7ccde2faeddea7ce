#pragma once
// Builds one JSON value from nlohmann's SAX events, as nlohmann's own
// parser does, with the checks the mapping needs while the text is still
// there to check:
// - an integer beyond 64 bits is an error: nlohmann hands it over as a
//   float, and only the number's text tells that it was written as an
//   integer;
// - nesting is bounded, so that no depth of JSON can exhaust the stack of
//   whoever walks the value (from_json, the destructor);
// - a number too large for a double (1e400) and malformed JSON become
//   DecodeErrors, instead of nlohmann's exceptions.
#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "crous/error.hpp"
#include "crous/json/mapping.hpp"

namespace crous::json {

class JsonBuilder {
 public:
  // `root` receives the value. `max_nesting`: the deepest nesting of arrays
  // and objects accepted.
  JsonBuilder(Json& root, std::size_t max_nesting) noexcept : root_(root), max_nesting_(max_nesting) {}

  // The error that stopped the parse (sax_parse returned false): offset
  // counted from the start of the value's text.
  const std::optional<DecodeError>& failure() const noexcept { return failure_; }

  // nlohmann's SAX interface (json_sax); each throws DecodeError (offset 0)
  // for what the mapping refuses.
  bool null();
  bool boolean(bool value);
  bool number_integer(Json::number_integer_t value);
  bool number_unsigned(Json::number_unsigned_t value);
  bool number_float(Json::number_float_t value, const std::string& text);
  bool string(std::string& value);
  bool binary(Json::binary_t& value);
  bool start_object(std::size_t elements);
  bool key(std::string& key);
  bool end_object();
  bool start_array(std::size_t elements);
  bool end_array();
  bool parse_error(std::size_t position, const std::string& last_token, const Json::exception& error);

 private:
  // Puts `value` where the next value goes; returns where it went.
  Json* add(Json&& value);
  bool open(Json&& container);

  Json& root_;
  std::size_t max_nesting_;
  std::vector<Json*> open_;  // the arrays and objects being filled, innermost last
  std::string key_;          // in an object: the key of the next value
  std::optional<DecodeError> failure_;
};

}  // namespace crous::json
