// flux_to_crout: the direct FLUX -> CROUT conversion succeeds exactly when
// decode_flux does (failing with the same error code and offset), its text converts back (tree and
// direct path) to an equal value, and without repeated keys it writes the
// same text as to_crout(decode_flux(record)).
// Not promised (docs/fuzzing.md): NaN sign and payload; with repeated keys
// the direct text keeps every entry (the tree has merged them).
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "crous/crout.hpp"
#include "support/flux_shape.hpp"
#include "support/fuzz_check.hpp"
#include "support/value_equivalence.hpp"

using namespace crous;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  const CroutStyle style = size % 2 == 0 ? CroutStyle::compact : CroutStyle::pretty;
  std::optional<Value> value;
  std::string decode_error;
  try {
    value = decode_flux(input);
  } catch (const DecodeError& e) {
    decode_error = std::string(to_string(e.code())) + " at " + std::to_string(e.offset());
  }
  std::optional<std::string> text;
  std::string convert_error;
  try {
    text = flux_to_crout(input, style);
  } catch (const DecodeError& e) {
    convert_error = std::string(to_string(e.code())) + " at " + std::to_string(e.offset());
  }
  FUZZ_CHECK(decode_error == convert_error, "decode_flux and flux_to_crout disagree: '" + decode_error + "' vs '" + convert_error + "'");
  if (!value) return 0;

  Value back;
  try {
    back = parse_crout(*text);
  } catch (const DecodeError& e) {
    FUZZ_CHECK(false, std::string("flux_to_crout wrote text that does not parse: ") + e.what() + "\n" + *text);
  }
  FUZZ_CHECK(fuzz::equal_but_any_nan(back, *value), "parse_crout(flux_to_crout(r)) != decode_flux(r):\n" + *text);
  FUZZ_CHECK(fuzz::equal_but_any_nan(decode_flux(crout_to_flux(*text)), *value), "crout_to_flux(flux_to_crout(r)) differs");
  const fuzz::FluxShape shape = fuzz::describe_flux(input);
  if (shape.flux && !shape.repeated_keys) {
    FUZZ_CHECK(*text == to_crout(*value, style), "direct and tree conversions write different text");
  }
  return 0;
}
