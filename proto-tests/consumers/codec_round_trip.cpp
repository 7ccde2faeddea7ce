// A program of a crous user who needs only the codec: built against an
// installed crous (find_package, pkg-config) and against the sources
// (add_subdirectory) by proto-tests/consumers/run-consumer.sh. It goes
// through FLUX, CROUT and an LZ4-compressed record stream (which links
// liblz4, the codec's private dependency) and exits 1 on any difference.
#include <cstdio>
#include <vector>

#include "crous/crous.hpp"

namespace {

bool same(const char* what, const crous::Value& expected, const crous::Value& got) {
  if (expected == got) return true;
  std::fprintf(stderr, "%s: expected %s, got %s\n", what, crous::to_crout(expected).c_str(), crous::to_crout(got).c_str());
  return false;
}

}  // namespace

int main() {
  try {
    const crous::Value record = crous::Dict{
        {"name", "Alice"},
        {"scores", crous::List{98, 95, -100}},
        {"ratio", 0.25},
        {"raw", crous::Bytes{0x00, 0xff, 0x10}},
        {"pair", crous::Tuple{true, nullptr}},
    };

    bool ok = same("FLUX", record, crous::decode_flux(crous::encode_flux(record)));
    ok = same("CROUT", record, crous::parse_crout(crous::to_crout(record))) && ok;

    std::vector<std::uint8_t> compressed;
    {
      crous::MemoryOutputStream memory(compressed);
      crous::Lz4OutputStream lz4(memory);
      crous::RecordWriter writer(lz4);
      writer.write(record);
      writer.write(crous::Value(42));
      writer.flush();
    }
    crous::MemoryInputStream memory(compressed);
    crous::Lz4InputStream lz4(memory);
    crous::RecordReader reader(lz4);
    const auto first = reader.next();
    const auto second = reader.next();
    ok = first && same("LZ4 record 1", record, *first) && ok;
    ok = second && same("LZ4 record 2", crous::Value(42), *second) && ok;
    ok = !reader.next() && ok;

    if (!ok) return 1;
    std::printf("codec round trip ok (%zu LZ4 bytes)\n", compressed.size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "codec round trip failed: %s\n", e.what());
    return 1;
  }
}
