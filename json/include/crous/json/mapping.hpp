#pragma once
// The lossless mapping between Crous values and JSON (docs/cli.md, "JSON
// mapping"). JSON has no bytes, tuples, tags or non-finite floats, so those
// become one-key marker objects:
//
//   bytes           {"$bytes": "<base64>"}
//   tuple           {"$tuple": [...]}
//   tagged          {"$tag": 90, "value": ...}
//   NaN, inf, -inf  {"$float": "nan" | "-nan" | "inf" | "-inf"}
//   dict            a JSON object, key order kept; a dict that would read
//                   back as a marker is wrapped: {"$dict": {...}}
//
// Finite floats are JSON numbers that always carry a '.' or exponent
// (1.0, -0.0), so they read back as floats; ints are integers.
#include <nlohmann/json.hpp>

#include "crous/limits.hpp"
#include "crous/value.hpp"

namespace crous::json {

using Json = nlohmann::ordered_json;

Json to_json(const Value& value);
// Throws DecodeError, offset 0, for JSON the mapping cannot represent:
// invalid_value (integers beyond int64, malformed markers), depth_exceeded
// (values nested deeper than limits.max_depth, counted as FLUX counts).
Value from_json(const Json& json, const Limits& limits = {});

}  // namespace crous::json
