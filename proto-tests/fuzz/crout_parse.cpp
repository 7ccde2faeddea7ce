// crout_parse: text that parse_crout accepts writes back (compact and
// pretty) to text that parses to an equal value, and crout_to_flux (no
// value tree) gives a record that decodes to the value of the tree path;
// crout_to_flux refuses what parse_crout refuses, with the same error code
// and offset.
// Not promised (docs/fuzzing.md): NaN sign and payload (CROUT has one NaN);
// the direct path keeps repeated keys in the FLUX it writes (the decoder
// then applies "later value wins", so the values still agree).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crous/crout.hpp"
#include "support/fuzz_check.hpp"
#include "support/value_equivalence.hpp"

using namespace crous;

namespace {

void expect_reads_back(const Value& value, CroutStyle style) {
  const std::string text = to_crout(value, style);
  Value again;
  try {
    again = parse_crout(text);
  } catch (const DecodeError& e) {
    FUZZ_CHECK(false, std::string("written text does not parse: ") + e.what() + "\n" + text);
  }
  FUZZ_CHECK(fuzz::equal_but_any_nan(again, value), "parse(write(v)) != v:\n" + text);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  std::optional<Value> tree;
  std::string tree_error;
  try {
    tree = parse_crout(text);
  } catch (const DecodeError& e) {
    tree_error = std::string(to_string(e.code())) + " at " + std::to_string(e.offset());
  }
  std::optional<Bytes> flux;
  std::string direct_error;
  try {
    flux = crout_to_flux(text);
  } catch (const DecodeError& e) {
    direct_error = std::string(to_string(e.code())) + " at " + std::to_string(e.offset());
  }
  FUZZ_CHECK(tree_error == direct_error, "parse_crout and crout_to_flux disagree: '" + tree_error + "' vs '" + direct_error + "'");
  if (!tree) return 0;

  Value from_flux;
  try {
    from_flux = decode_flux(*flux);
  } catch (const DecodeError& e) {
    FUZZ_CHECK(false, std::string("crout_to_flux wrote a record that does not decode: ") + e.what());
  }
  FUZZ_CHECK(from_flux == *tree, "crout_to_flux and parse_crout give different values");
  expect_reads_back(*tree, CroutStyle::compact);
  expect_reads_back(*tree, CroutStyle::pretty);
  return 0;
}
