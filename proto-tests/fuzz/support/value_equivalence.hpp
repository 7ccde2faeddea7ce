#pragma once
// Value equality for round trips through CROUT, which has one NaN: the text
// "nan" reads back as the default quiet NaN whatever NaN was written, so two
// NaNs count as equal here. Everything else is compared like Value's ==
// (bitwise floats, so -0.0 still differs from 0.0).
#include "crous/value.hpp"

namespace crous::fuzz {

bool equal_but_any_nan(const Value& a, const Value& b);

}  // namespace crous::fuzz
