// CROUT text throughput on the codec corpus (bench/corpus: 20,000 user-like
// records), next to nlohmann-json parsing and dumping the equivalent JSON in
// the same run. Needs: crous::codec, benchmark::benchmark_main and
// nlohmann_json (bench/CMakeLists.txt links every bench with them).
//
// Run: build/bin/crous-crout-bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
//
// Both sides process the same records, one document per record, so
// items_per_second (records/s) is the fair ratio; bytes_per_second counts
// each format's own text (CROUT is a little longer than JSON: it spells
// lengths and type prefixes).
#include <benchmark/benchmark.h>

#include <nlohmann/json.hpp>
#include <algorithm>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "crous/crout.hpp"
#include "crous/flux.hpp"
#include "crous/stream.hpp"

namespace {

using namespace crous;

// The same logical record as plain JSON (objects, arrays, numbers, strings).
nlohmann::json as_json(const Value& v) {
  switch (v.kind()) {
    case Kind::null: return nullptr;
    case Kind::boolean: return v.as_bool();
    case Kind::integer: return v.as_int();
    case Kind::floating: return v.as_float();
    case Kind::string: return v.as_string();
    case Kind::list: {
      nlohmann::json array = nlohmann::json::array();
      for (const auto& item : v.as_list()) array.push_back(as_json(item));
      return array;
    }
    case Kind::dict: {
      nlohmann::json object = nlohmann::json::object();
      for (const auto& [key, item] : v.as_dict()) object[key] = as_json(item);
      return object;
    }
    default: throw std::logic_error("the corpus holds no " + std::string(to_string(v.kind())));
  }
}

struct Corpus {
  std::vector<Value> values = bench::make_corpus();
  std::vector<std::string> crout;
  std::vector<Bytes> flux;
  std::vector<nlohmann::json> json;
  std::vector<std::string> json_text;
  std::size_t crout_bytes = 0;
  std::size_t json_bytes = 0;
  std::size_t flux_bytes = 0;

  Corpus() {
    for (const Value& v : values) {
      crout.push_back(to_crout(v));
      flux.push_back(encode_flux(v));
      json.push_back(as_json(v));
      json_text.push_back(json.back().dump());
      crout_bytes += crout.back().size();
      flux_bytes += flux.back().size();
      json_bytes += json_text.back().size();
    }
  }
};

const Corpus& corpus() {
  static const Corpus c;
  return c;
}

// Runs `work` on every item of `items` per iteration; rates are per record
// and per `bytes` (the text of the format being measured).
template <class Items, class Work>
void each_record(benchmark::State& state, const Items& items, std::size_t bytes, Work work) {
  for (auto _ : state) {
    for (const auto& item : items) work(item);
  }
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items.size()));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

void BM_CroutParse(benchmark::State& state) {
  each_record(state, corpus().crout, corpus().crout_bytes, [](const std::string& text) { benchmark::DoNotOptimize(parse_crout(text)); });
}
BENCHMARK(BM_CroutParse)->Unit(benchmark::kMillisecond);

void BM_JsonParse(benchmark::State& state) {
  each_record(state, corpus().json_text, corpus().json_bytes, [](const std::string& text) { benchmark::DoNotOptimize(nlohmann::json::parse(text)); });
}
BENCHMARK(BM_JsonParse)->Unit(benchmark::kMillisecond);

void BM_CroutWrite(benchmark::State& state) {
  each_record(state, corpus().values, corpus().crout_bytes, [](const Value& value) { benchmark::DoNotOptimize(to_crout(value)); });
}
BENCHMARK(BM_CroutWrite)->Unit(benchmark::kMillisecond);

void BM_JsonDump(benchmark::State& state) {
  each_record(state, corpus().json, corpus().json_bytes, [](const nlohmann::json& json) { benchmark::DoNotOptimize(json.dump()); });
}
BENCHMARK(BM_JsonDump)->Unit(benchmark::kMillisecond);

// Direct conversion, no value tree; bytes counted on the CROUT side.
void BM_CroutToFlux(benchmark::State& state) {
  Bytes out;
  each_record(state, corpus().crout, corpus().crout_bytes, [&](const std::string& text) {
    out.clear();
    crout_to_flux(text, out);
    benchmark::DoNotOptimize(out.data());
  });
}
BENCHMARK(BM_CroutToFlux)->Unit(benchmark::kMillisecond);

void BM_FluxToCrout(benchmark::State& state) {
  each_record(state, corpus().flux, corpus().crout_bytes, [](const Bytes& record) { benchmark::DoNotOptimize(flux_to_crout(record)); });
}
BENCHMARK(BM_FluxToCrout)->Unit(benchmark::kMillisecond);

// CroutReader on one ~80 KB document (the first 560 corpus records as one
// list) delivered N bytes per read, as a slow pipe would (crous-echo and
// `crous convert` read stdin this way). Goal: linear in the bytes whatever
// N; before the framer, 1 byte/read took 21.7 s and 16 bytes/read 0.57 s.
class TrickleInput final : public InputStream {
 public:
  TrickleInput(std::string_view text, std::size_t per_read) : text_(text), per_read_(per_read) {}
  std::size_t read(std::uint8_t* dst, std::size_t size) override {
    const std::size_t n = std::min({size, per_read_, text_.size() - pos_});
    std::copy_n(text_.data() + pos_, n, dst);
    pos_ += n;
    return n;
  }

 private:
  std::string_view text_;
  std::size_t per_read_;
  std::size_t pos_ = 0;
};

void BM_CroutReaderSmallReads(benchmark::State& state) {
  static const std::string document = [] {
    List records;
    for (std::size_t i = 0; i < 560; ++i) records.push_back(corpus().values[i]);
    return to_crout(Value(std::move(records)));
  }();
  for (auto _ : state) {
    TrickleInput in(document, static_cast<std::size_t>(state.range(0)));
    CroutReader reader(in);
    while (auto value = reader.next()) benchmark::DoNotOptimize(value);
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * document.size()));
  state.counters["document_bytes"] = static_cast<double>(document.size());
}
BENCHMARK(BM_CroutReaderSmallReads)->Arg(1)->Arg(16)->Arg(4096)->Unit(benchmark::kMillisecond);

}  // namespace
