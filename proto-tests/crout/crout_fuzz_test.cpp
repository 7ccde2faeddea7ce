// Damaged input of every kind is refused with a DecodeError: never a crash,
// a hang or another exception type (run under the sanitizers too).
#include <gtest/gtest.h>

#include <random>

#include "crous/crout.hpp"
#include "crous/flux.hpp"
#include "crous/stream.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

// Flips, deletes, duplicates or truncates a few bytes.
std::string damage(std::string text, std::mt19937_64& rng) {
  static const char alphabet[] = "CROUT1\n@=[](){}#:, \t/sbifNTF-0123456789.eainfxyz\xff\x80";
  const int edits = std::uniform_int_distribution<int>(1, 4)(rng);
  for (int e = 0; e < edits && !text.empty(); ++e) {
    const std::size_t at = std::uniform_int_distribution<std::size_t>(0, text.size() - 1)(rng);
    switch (std::uniform_int_distribution<int>(0, 3)(rng)) {
      case 0: text[at] = alphabet[std::uniform_int_distribution<std::size_t>(0, sizeof alphabet - 2)(rng)]; break;
      case 1: text.erase(at, 1); break;
      case 2: text.insert(at, text.substr(at, 8)); break;
      default: text.resize(at); break;
    }
  }
  return text;
}

template <class F>
void expect_refused_or_accepted(F f) {
  try {
    f();
  } catch (const DecodeError&) {
  }
}

TEST(CroutFuzz, DamagedTextNeverCrashes) {
  std::mt19937_64 rng(1234);
  test::RandomValueGenerator generator(5678);
  std::vector<std::string> seeds;
  for (const auto& path : test::golden_files("valid", ".crout")) seeds.push_back(test::read_text(path));
  for (int i = 0; i < 200; ++i) seeds.push_back(to_crout(generator.next(), i % 2 ? CroutStyle::pretty : CroutStyle::compact));
  for (int round = 0; round < 20; ++round) {
    for (const auto& seed : seeds) {
      const std::string text = damage(seed, rng);
      expect_refused_or_accepted([&] { parse_crout(text); });
      expect_refused_or_accepted([&] { crout_to_flux(text); });
      expect_refused_or_accepted([&] {
        MemoryInputStream in(as_bytes(text));
        CroutReader reader(in);
        while (reader.next()) {
        }
      });
    }
  }
}

TEST(CroutFuzz, DamagedFluxNeverCrashesTheDirectWriter) {
  std::mt19937_64 rng(42);
  test::RandomValueGenerator generator(43);
  for (int i = 0; i < 3000; ++i) {
    const Bytes flux = encode_flux(generator.next());
    std::string bytes(flux.begin(), flux.end());
    bytes = damage(bytes, rng);
    expect_refused_or_accepted([&] { flux_to_crout(as_bytes(bytes)); });
    expect_refused_or_accepted([&] { flux_to_crout(as_bytes(bytes), CroutStyle::pretty); });
  }
}

}  // namespace
}  // namespace crous
