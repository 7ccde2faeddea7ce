// LZ4 stream compression (issue 12): ratio and throughput of crous'
// adapters (Lz4OutputStream / Lz4InputStream, python-lz4's lz4.stream
// format, 64 KiB pages, 4-byte sizes) against LZ4's frame API (lz4frame.h:
// 64 KiB linked blocks, no checksums, level 0) and zstd level 1 (streaming
// API), on the same bytes in the same run:
//   corpus  the codec bench's 20,000 records (bench/corpus), ~124 bytes each
//   orders  2,000 order records of ~2 KB, repetitive in keys and shapes
// Each codec sees the records one write at a time and ends a block (LZ4's
// flush, zstd's ZSTD_e_flush) after every record, after every 64 records,
// or only at the end of the stream. Throughput counts uncompressed bytes
// both ways; "ratio" is compressed / uncompressed bytes on the wire.
// Decompression reads into a 64 KiB buffer, as a stream reader would.
// Run:
//   build/bin/crous-lz4-bench --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
// The zstd rows need libzstd-dev (scripts/install-deps.sh --bench).
#include <benchmark/benchmark.h>
#include <lz4frame.h>
#ifdef CROUS_BENCH_HAVE_ZSTD
#include <zstd.h>
#endif

#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "corpus.hpp"
#include "crous/flux.hpp"
#include "crous/lz4_stream.hpp"

namespace {

using namespace crous;

// ---- corpora ----

struct Corpus {
  std::string name;
  std::vector<Bytes> records;  // FLUX, one per record
  std::size_t bytes = 0;
};

Corpus user_corpus() {
  Corpus corpus{"corpus", {}, 0};
  for (const Value& v : bench::make_corpus()) corpus.records.push_back(encode_flux(v));
  for (const auto& r : corpus.records) corpus.bytes += r.size();
  return corpus;
}

// An order: a customer, a dozen line items, a status history; every record
// has the same keys and much of the same text, as a service's records do.
Value order(std::uint64_t i) {
  const auto n = static_cast<std::int64_t>(i);
  List items;
  for (std::int64_t k = 0; k < 12; ++k) {
    const std::int64_t sku = (n * 31 + k * 7) % 500;
    items.push_back(Dict{{"sku", "SKU-" + std::to_string(100000 + sku)},
                         {"name", "Widget model " + std::to_string(sku % 40) + " (standard edition)"},
                         {"quantity", 1 + (n + k) % 5},
                         {"unit_price", static_cast<double>(sku % 97) + 0.99},
                         {"warehouse", k % 2 == 0 ? "eu-west-1" : "eu-central-1"},
                         {"gift_wrap", (n + k) % 7 == 0}});
  }
  List history;
  for (const char* status : {"created", "paid", "packed", "shipped"})
    history.push_back(Dict{{"status", status}, {"at", 1700000000 + n * 60 + static_cast<std::int64_t>(history.size()) * 3600}});
  return Dict{{"order_id", n},
              {"customer", Dict{{"id", n % 3000},
                                {"name", "Customer " + std::to_string(n % 3000)},
                                {"email", "customer" + std::to_string(n % 3000) + "@example.com"},
                                {"address", Dict{{"street", std::to_string(n % 200) + " Long Street"}, {"city", "Springfield"}, {"country", "NL"}}}}},
              {"items", std::move(items)},
              {"history", std::move(history)},
              {"currency", "EUR"},
              {"notes", "Leave the parcel with the neighbours if nobody is at home."}};
}

Corpus order_corpus() {
  Corpus corpus{"orders", {}, 0};
  for (std::uint64_t i = 0; i < 2000; ++i) corpus.records.push_back(encode_flux(order(i)));
  for (const auto& r : corpus.records) corpus.bytes += r.size();
  return corpus;
}

const std::vector<Corpus>& corpora() {
  static const std::vector<Corpus> all{user_corpus(), order_corpus()};
  return all;
}

// ---- codecs: the records in, a block ended every `flush_every` (0: at the end) ----

constexpr std::size_t read_size = 64 * 1024;

struct Codec {
  std::string name;
  std::function<void(const Corpus&, std::size_t flush_every, Bytes& wire)> compress;
  std::function<std::size_t(const Bytes& wire, Bytes& buffer)> decompress;  // returns the bytes out
};

bool flush_after(std::size_t i, std::size_t flush_every) { return flush_every != 0 && (i + 1) % flush_every == 0; }

void crous_compress(const Corpus& corpus, std::size_t flush_every, Bytes& wire) {
  wire.clear();
  MemoryOutputStream sink(wire);
  Lz4OutputStream out(sink);
  for (std::size_t i = 0; i < corpus.records.size(); ++i) {
    out.write(corpus.records[i]);
    if (flush_after(i, flush_every)) out.flush();
  }
  out.flush();
}

std::size_t crous_decompress(const Bytes& wire, Bytes& buffer) {
  MemoryInputStream upstream(wire);
  Lz4InputStream in(upstream);
  std::size_t total = 0;
  while (const std::size_t n = in.read(buffer.data(), buffer.size())) total += n;
  return total;
}

void check_lz4f(std::size_t code, const char* what) {
  if (LZ4F_isError(code)) throw std::runtime_error(std::string(what) + ": " + LZ4F_getErrorName(code));
}

LZ4F_preferences_t lz4f_preferences() {
  LZ4F_preferences_t prefs{};
  prefs.frameInfo.blockSizeID = LZ4F_max64KB;
  prefs.frameInfo.blockMode = LZ4F_blockLinked;  // blocks refer back, like the stream format
  prefs.compressionLevel = 0;
  return prefs;
}

void lz4f_compress(const Corpus& corpus, std::size_t flush_every, Bytes& wire) {
  static const LZ4F_preferences_t prefs = lz4f_preferences();
  LZ4F_cctx* cctx = nullptr;
  check_lz4f(LZ4F_createCompressionContext(&cctx, LZ4F_VERSION), "context");
  std::unique_ptr<LZ4F_cctx, decltype(&LZ4F_freeCompressionContext)> owned(cctx, LZ4F_freeCompressionContext);
  wire.resize(LZ4F_HEADER_SIZE_MAX);
  std::size_t pos = LZ4F_compressBegin(cctx, wire.data(), wire.size(), &prefs);
  check_lz4f(pos, "begin");
  const auto room = [&](std::size_t more) {
    if (wire.size() < pos + more) wire.resize(std::max(pos + more, 2 * wire.size()));
  };
  for (std::size_t i = 0; i < corpus.records.size(); ++i) {
    const Bytes& record = corpus.records[i];
    room(LZ4F_compressBound(record.size(), &prefs));
    const std::size_t n = LZ4F_compressUpdate(cctx, wire.data() + pos, wire.size() - pos, record.data(), record.size(), nullptr);
    check_lz4f(n, "update");
    pos += n;
    if (flush_after(i, flush_every)) {
      room(LZ4F_compressBound(0, &prefs));
      const std::size_t f = LZ4F_flush(cctx, wire.data() + pos, wire.size() - pos, nullptr);
      check_lz4f(f, "flush");
      pos += f;
    }
  }
  room(LZ4F_compressBound(0, &prefs));
  const std::size_t end = LZ4F_compressEnd(cctx, wire.data() + pos, wire.size() - pos, nullptr);
  check_lz4f(end, "end");
  wire.resize(pos + end);
}

std::size_t lz4f_decompress(const Bytes& wire, Bytes& buffer) {
  LZ4F_dctx* dctx = nullptr;
  check_lz4f(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION), "context");
  std::unique_ptr<LZ4F_dctx, decltype(&LZ4F_freeDecompressionContext)> owned(dctx, LZ4F_freeDecompressionContext);
  std::size_t pos = 0;
  std::size_t total = 0;
  while (pos < wire.size()) {
    std::size_t out = buffer.size();
    std::size_t in = wire.size() - pos;
    check_lz4f(LZ4F_decompress(dctx, buffer.data(), &out, wire.data() + pos, &in, nullptr), "decompress");
    pos += in;
    total += out;
  }
  return total;
}

#ifdef CROUS_BENCH_HAVE_ZSTD
void check_zstd(std::size_t code, const char* what) {
  if (ZSTD_isError(code)) throw std::runtime_error(std::string(what) + ": " + ZSTD_getErrorName(code));
}

void zstd_compress(const Corpus& corpus, std::size_t flush_every, Bytes& wire) {
  std::unique_ptr<ZSTD_CCtx, decltype(&ZSTD_freeCCtx)> cctx(ZSTD_createCCtx(), ZSTD_freeCCtx);
  check_zstd(ZSTD_CCtx_setParameter(cctx.get(), ZSTD_c_compressionLevel, 1), "level");
  wire.resize(ZSTD_compressBound(corpus.bytes) + corpus.records.size() * 8 + 1024);
  ZSTD_outBuffer out{wire.data(), wire.size(), 0};
  for (std::size_t i = 0; i < corpus.records.size(); ++i) {
    ZSTD_inBuffer in{corpus.records[i].data(), corpus.records[i].size(), 0};
    const auto mode = flush_after(i, flush_every) ? ZSTD_e_flush : ZSTD_e_continue;
    std::size_t left = 0;
    do {
      left = ZSTD_compressStream2(cctx.get(), &out, &in, mode);
      check_zstd(left, "compress");
    } while (mode == ZSTD_e_flush ? left != 0 : in.pos != in.size);
  }
  ZSTD_inBuffer none{nullptr, 0, 0};
  while (true) {
    const std::size_t left = ZSTD_compressStream2(cctx.get(), &out, &none, ZSTD_e_end);
    check_zstd(left, "end");
    if (left == 0) break;
  }
  wire.resize(out.pos);
}

std::size_t zstd_decompress(const Bytes& wire, Bytes& buffer) {
  std::unique_ptr<ZSTD_DCtx, decltype(&ZSTD_freeDCtx)> dctx(ZSTD_createDCtx(), ZSTD_freeDCtx);
  ZSTD_inBuffer in{wire.data(), wire.size(), 0};
  std::size_t total = 0;
  while (in.pos < in.size) {
    ZSTD_outBuffer out{buffer.data(), buffer.size(), 0};
    check_zstd(ZSTD_decompressStream(dctx.get(), &out, &in), "decompress");
    total += out.pos;
  }
  return total;
}
#endif

const std::vector<Codec>& codecs() {
  static const std::vector<Codec> all{
      {"crous_lz4_stream", crous_compress, crous_decompress},
      {"lz4_frame", lz4f_compress, lz4f_decompress},
#ifdef CROUS_BENCH_HAVE_ZSTD
      {"zstd_1", zstd_compress, zstd_decompress},
#endif
  };
  return all;
}

// ---- benchmarks ----

void set_counters(benchmark::State& state, const Corpus& corpus, const Bytes& wire) {
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * corpus.bytes));
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * corpus.records.size()));
  state.counters["ratio"] = static_cast<double>(wire.size()) / static_cast<double>(corpus.bytes);
  state.counters["wire_bytes"] = static_cast<double>(wire.size());
}

void compress(benchmark::State& state, const Codec& codec, const Corpus& corpus, std::size_t flush_every) {
  Bytes wire;
  wire.reserve(corpus.bytes * 2);
  for (auto _ : state) {
    codec.compress(corpus, flush_every, wire);
    benchmark::DoNotOptimize(wire.data());
  }
  set_counters(state, corpus, wire);
}

void decompress(benchmark::State& state, const Codec& codec, const Corpus& corpus, std::size_t flush_every) {
  Bytes wire;
  codec.compress(corpus, flush_every, wire);
  Bytes buffer(read_size);
  if (codec.decompress(wire, buffer) != corpus.bytes) {
    state.SkipWithError("decompressed size differs");
    return;
  }
  for (auto _ : state) benchmark::DoNotOptimize(codec.decompress(wire, buffer));
  set_counters(state, corpus, wire);
}

[[maybe_unused]] const bool registered = [] {
  const std::pair<const char*, std::size_t> policies[] = {{"flush_per_record", 1}, {"flush_per_64", 64}, {"flush_at_end", 0}};
  for (const auto& corpus : corpora()) {
    for (const auto& [policy, every] : policies) {
      for (const auto& codec : codecs()) {
        const std::string suffix = "/" + corpus.name + "/" + policy + "/" + codec.name;
        benchmark::RegisterBenchmark(("Compress" + suffix).c_str(), compress, std::cref(codec), std::cref(corpus), every)
            ->Unit(benchmark::kMillisecond);
        benchmark::RegisterBenchmark(("Decompress" + suffix).c_str(), decompress, std::cref(codec), std::cref(corpus), every)
            ->Unit(benchmark::kMillisecond);
      }
    }
  }
  return true;
}();

}  // namespace
