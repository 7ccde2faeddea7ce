// Codec throughput on the corpus, next to msgpack-cxx on the same logical
// data in the same run. Run: build/bin/crous-codec-bench
//   --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// Compare records/s (items_per_second) for the ratio: both sides process
// the same records; bytes_per_second counts each format's own bytes.
// FluxDecode builds the owning crous::Value tree; FluxDecodeDocument decodes
// into a reused zero-copy crous::Document (same parser, same validation);
// FluxDecodeDocumentFresh uses a new Document per record. The machine may be
// shared: compare medians, and add --benchmark_enable_random_interleaving=true.
#include <benchmark/benchmark.h>

#include <algorithm>
#include <stdexcept>
#include <string>

#include <msgpack.hpp>

#include "corpus.hpp"
#include "crous/document.hpp"
#include "crous/flux.hpp"
#include "crous/record_scanner.hpp"

namespace {

using namespace crous;

struct FluxCorpus {
  std::vector<Value> values = bench::make_corpus();
  std::vector<Bytes> records;
  Bytes stream;  // all records back to back
  FluxCorpus() {
    for (const Value& v : values) {
      records.push_back(encode_flux(v));
      stream.insert(stream.end(), records.back().begin(), records.back().end());
    }
  }
};
const FluxCorpus& flux_corpus() {
  static const FluxCorpus corpus;
  return corpus;
}

// The same records as msgpack objects (maps with str keys, arrays, ...).
struct MsgpackCorpus {
  msgpack::zone zone;
  std::vector<msgpack::object> objects;
  std::vector<msgpack::sbuffer> packed;
  std::size_t bytes = 0;
  MsgpackCorpus() {
    for (std::size_t i = 0; i < bench::corpus_records; ++i) {
      const auto n = static_cast<std::int64_t>(i);
      std::vector<std::int64_t> scores;
      for (std::int64_t k = 0; k < 5; ++k) scores.push_back((n * 7 + k * 13) % 100);
      msgpack::sbuffer buf;
      msgpack::packer<msgpack::sbuffer> pk(buf);
      pk.pack_map(7);
      pk.pack("id"), pk.pack(n);
      pk.pack("name"), pk.pack("user_" + std::to_string(i));
      pk.pack("email"), pk.pack("user" + std::to_string(i) + "@example.com");
      pk.pack("scores"), pk.pack(scores);
      pk.pack("active"), pk.pack(i % 3 != 0);
      pk.pack("ratio"), pk.pack(static_cast<double>(i % 1000) / 7.0);
      pk.pack("tags"), pk.pack(std::vector<std::string>{"alpha", "beta"});
      objects.push_back(msgpack::unpack(zone, buf.data(), buf.size()));
      bytes += buf.size();
      packed.push_back(std::move(buf));
    }
  }
};
const MsgpackCorpus& msgpack_corpus() {
  static const MsgpackCorpus corpus;
  return corpus;
}

void BM_FluxEncode(benchmark::State& state) {
  const auto& c = flux_corpus();
  Bytes out;
  out.reserve(4096);
  for (auto _ : state) {
    for (const Value& v : c.values) {
      out.clear();
      encode_flux(v, out);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * c.values.size());
  state.SetBytesProcessed(state.iterations() * c.stream.size());
}
BENCHMARK(BM_FluxEncode)->Unit(benchmark::kMillisecond);

void BM_MsgpackPack(benchmark::State& state) {
  const auto& c = msgpack_corpus();
  msgpack::sbuffer out(4096);
  for (auto _ : state) {
    for (const msgpack::object& o : c.objects) {
      out.clear();
      msgpack::pack(out, o);
      benchmark::DoNotOptimize(out.data());
    }
  }
  state.SetItemsProcessed(state.iterations() * c.objects.size());
  state.SetBytesProcessed(state.iterations() * c.bytes);
}
BENCHMARK(BM_MsgpackPack)->Unit(benchmark::kMillisecond);

void BM_FluxDecode(benchmark::State& state) {
  const auto& c = flux_corpus();
  for (auto _ : state) {
    for (const Bytes& r : c.records) {
      Value v = decode_flux(r);
      benchmark::DoNotOptimize(v);
    }
  }
  state.SetItemsProcessed(state.iterations() * c.records.size());
  state.SetBytesProcessed(state.iterations() * c.stream.size());
}
BENCHMARK(BM_FluxDecode)->Unit(benchmark::kMillisecond);

// Zero-copy read-only form: the same parser and validation as decode_flux,
// into a reused crous::Document (strings are views into the record).
void BM_FluxDecodeDocument(benchmark::State& state) {
  const auto& c = flux_corpus();
  Document doc;
  for (auto _ : state) {
    for (const Bytes& r : c.records) {
      doc.decode(r);
      benchmark::DoNotOptimize(doc.root().kind());
    }
  }
  state.SetItemsProcessed(state.iterations() * c.records.size());
  state.SetBytesProcessed(state.iterations() * c.stream.size());
}
BENCHMARK(BM_FluxDecodeDocument)->Unit(benchmark::kMillisecond);

// The same, with a new Document (one node allocation) per record.
void BM_FluxDecodeDocumentFresh(benchmark::State& state) {
  const auto& c = flux_corpus();
  for (auto _ : state) {
    for (const Bytes& r : c.records) {
      Document doc = Document::parse(r);
      benchmark::DoNotOptimize(doc.root().kind());
    }
  }
  state.SetItemsProcessed(state.iterations() * c.records.size());
  state.SetBytesProcessed(state.iterations() * c.stream.size());
}
BENCHMARK(BM_FluxDecodeDocumentFresh)->Unit(benchmark::kMillisecond);

void BM_MsgpackUnpack(benchmark::State& state) {
  const auto& c = msgpack_corpus();
  for (auto _ : state) {
    for (const msgpack::sbuffer& b : c.packed) {
      msgpack::object_handle h = msgpack::unpack(b.data(), b.size());
      benchmark::DoNotOptimize(h.get());
    }
  }
  state.SetItemsProcessed(state.iterations() * c.packed.size());
  state.SetBytesProcessed(state.iterations() * c.bytes);
}
BENCHMARK(BM_MsgpackUnpack)->Unit(benchmark::kMillisecond);

// Boundary finding only: scans `stream` as chunks of `chunk` bytes (0: the
// whole stream as one buffer, the server's framing path when many records
// arrive in one read; small chunks exercise the scanner's resumable byte
// machine, as when records straddle socket reads).
std::size_t scan_stream(RecordScanner& scanner, const Bytes& stream, std::size_t chunk) {
  std::size_t records = 0;
  std::size_t pos = 0;
  while (pos < stream.size()) {
    const std::size_t n = chunk == 0 ? stream.size() - pos : std::min(chunk, stream.size() - pos);
    const auto r = scanner.feed({stream.data() + pos, n});
    if (r.status == RecordScanner::Status::error) throw std::logic_error("bench corpus does not scan");
    pos += r.consumed;
    records += r.status == RecordScanner::Status::complete;
  }
  return records;
}

void BM_FluxScan(benchmark::State& state) {
  const auto& c = flux_corpus();
  RecordScanner scanner;
  std::size_t records = 0;
  for (auto _ : state) records += scan_stream(scanner, c.stream, 0);
  benchmark::DoNotOptimize(records);
  state.SetItemsProcessed(state.iterations() * c.records.size());
  state.SetBytesProcessed(state.iterations() * c.stream.size());
}
BENCHMARK(BM_FluxScan)->Unit(benchmark::kMillisecond);

// Text-heavy records (message-like: subject, body, labels), where the
// scanner's cost is dominated by string bytes; one record in four carries
// non-ASCII text. 5,000 records, ~2.3 MB.
struct StringCorpus {
  Bytes stream;
  std::size_t records = 5'000;
  StringCorpus() {
    static constexpr const char* words[] = {"lorem", "ipsum", "dolor", "sit", "amet", "consectetur",
                                            "adipiscing", "elit", "sed", "do", "eiusmod", "tempor"};
    for (std::size_t i = 0; i < records; ++i) {
      std::string body;
      for (std::size_t w = 0; body.size() < 400; ++w) body += std::string(words[(i + w * 7) % 12]) + ' ';
      if (i % 4 == 0) body += "caf\u00e9 \u65e5\u672c\u8a9e \u00fcber \U0001F600";
      const Value v = Dict{{"from", "sender" + std::to_string(i) + "@example.org"},
                           {"subject", "Re: " + body.substr(i % 50, 40)},
                           {"body", body},
                           {"labels", List{"inbox", "work", i % 2 ? "unread" : "starred"}},
                           {"size", static_cast<std::int64_t>(body.size())}};
      encode_flux(v, stream);
    }
  }
};
const StringCorpus& string_corpus() {
  static const StringCorpus corpus;
  return corpus;
}

// Arg: chunk size in bytes, 0 for the whole stream as one buffer.
void BM_FluxScanStrings(benchmark::State& state) {
  const auto& c = string_corpus();
  const auto chunk = static_cast<std::size_t>(state.range(0));
  RecordScanner scanner;
  std::size_t records = 0;
  for (auto _ : state) records += scan_stream(scanner, c.stream, chunk);
  benchmark::DoNotOptimize(records);
  state.SetItemsProcessed(state.iterations() * c.records);
  state.SetBytesProcessed(state.iterations() * c.stream.size());
}
BENCHMARK(BM_FluxScanStrings)->Arg(0)->Arg(1500)->Unit(benchmark::kMillisecond);

// A 100,000-key dict: the original's decoder is quadratic here.
void BM_DecodeDict100k(benchmark::State& state) {
  Dict d;
  for (int i = 0; i < 100000; ++i) d.insert_or_assign("key" + std::to_string(i), i);
  const Bytes bytes = encode_flux(Value(std::move(d)));
  for (auto _ : state) {
    Value v = decode_flux(bytes);
    benchmark::DoNotOptimize(v);
  }
  state.SetBytesProcessed(state.iterations() * bytes.size());
}
BENCHMARK(BM_DecodeDict100k)->Unit(benchmark::kMillisecond);

}  // namespace
