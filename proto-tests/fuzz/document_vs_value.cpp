// document_vs_value: Document::decode and decode_flux run the same parser
// with different builders; they must agree on success, on the error code
// and offset, and on the value. The same for the prefix forms.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>

#include "crous/document.hpp"
#include "crous/flux.hpp"
#include "support/fuzz_check.hpp"

using namespace crous;

namespace {

struct Outcome {
  std::optional<Value> value;
  std::size_t size = 0;  // prefix forms: bytes used
  ErrorCode code = ErrorCode::usage;
  std::size_t offset = 0;
  std::string what;
};

template <class Decode>
Outcome run(Decode decode) {
  Outcome out;
  try {
    decode(out);
  } catch (const DecodeError& e) {
    out.value.reset();
    out.code = e.code();
    out.offset = e.offset();
    out.what = e.what();
  }
  return out;
}

void expect_same(const Outcome& document, const Outcome& tree, const char* form) {
  FUZZ_CHECK(document.value.has_value() == tree.value.has_value(),
             std::string(form) + ": one succeeds, the other fails with: " + document.what + tree.what);
  if (document.value) {
    FUZZ_CHECK(*document.value == *tree.value, std::string(form) + ": values differ: " + document.value->debug_string() + " vs " + tree.value->debug_string());
    FUZZ_CHECK(document.size == tree.size, std::string(form) + ": sizes differ");
  } else {
    FUZZ_CHECK(document.code == tree.code && document.offset == tree.offset, std::string(form) + ": errors differ: " + document.what + " vs " + tree.what);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const ByteView input(data, size);
  static Document document;  // reused, as a server would reuse it
  expect_same(run([&](Outcome& o) {
                document.decode(input);
                o.value = document.to_value();
              }),
              run([&](Outcome& o) { o.value = decode_flux(input); }), "decode");
  expect_same(run([&](Outcome& o) {
                o.size = document.decode_prefix(input);
                o.value = document.to_value();
              }),
              run([&](Outcome& o) {
                Value v;
                o.size = decode_flux_prefix(input, v);
                o.value = std::move(v);
              }),
              "decode_prefix");
  return 0;
}
