// The scanner's whole-item fast path and its byte machine must agree
// exactly: feeding a prefix in one chunk (mostly fast path) and one byte at a
// time (mostly byte machine) must leave the same status, scanned bytes,
// minimum record size and error (code and offset), under any record limit.
#include <gtest/gtest.h>

#include "crous/flux.hpp"
#include "crous/record_scanner.hpp"
#include "test_support.hpp"

namespace crous {
namespace {

using Status = RecordScanner::Status;

struct Outcome {
  Status status;
  std::size_t consumed;
  std::size_t scanned;
  std::size_t min_size;
  ErrorCode code;
  std::size_t offset;
  bool operator==(const Outcome&) const = default;
};

std::ostream& operator<<(std::ostream& os, const Outcome& o) {
  return os << "status " << int(o.status) << " consumed " << o.consumed << " scanned " << o.scanned << " min "
            << o.min_size << " code " << to_string(o.code) << " offset " << o.offset;
}

Outcome outcome(const RecordScanner& s, Status status, std::size_t consumed) {
  const bool err = status == Status::error;
  return {status, consumed, status == Status::need_more ? s.scanned() : 0,
          status == Status::need_more ? s.min_record_size() : 0, err ? s.error_code() : ErrorCode::truncated,
          err ? s.error_offset() : 0};
}

Outcome whole(ByteView data, const Limits& limits, RecordScanner::Mode mode) {
  RecordScanner s(limits, mode);
  const auto r = s.feed(data);
  return outcome(s, r.status, r.consumed);
}

Outcome bytewise(ByteView data, const Limits& limits, RecordScanner::Mode mode) {
  RecordScanner s(limits, mode);
  std::size_t used = 0;
  Status status = Status::need_more;
  for (std::size_t i = 0; i < data.size(); ++i) {
    const auto r = s.feed(data.subspan(i, 1));
    used += r.consumed;
    status = r.status;
    if (status != Status::need_more) break;
  }
  return outcome(s, status, used);
}

TEST(RecordScannerChunking, FastPathAndByteMachineAgreeOnEveryPrefixAndLimit) {
  test::RandomValueGenerator gen(99, {.max_depth = 4, .max_items = 6, .max_string = 200});
  for (int i = 0; i < 60; ++i) {
    const Value v = gen.next();
    const Bytes record = encode_flux(v);
    Bytes bare;
    encode_flux_value(v, bare);
    const std::pair<const Bytes*, RecordScanner::Mode> inputs[] = {{&record, RecordScanner::Mode::record},
                                                                   {&bare, RecordScanner::Mode::bare_value}};
    for (const auto& [data, mode] : inputs) {
      const std::size_t n = data->size();
      const std::size_t limits[] = {n, n > 20 ? n - 1 : n, n / 2 + 1, 16 << 20};
      for (std::size_t limit : limits) {
        for (unsigned depth : {256u, 2u}) {
          const Limits l{.max_record_bytes = limit, .max_depth = depth};
          for (std::size_t cut = 1; cut <= n; cut += (cut < 64 ? 1 : 7)) {
            const ByteView prefix(data->data(), cut);
            ASSERT_EQ(whole(prefix, l, mode), bytewise(prefix, l, mode))
                << v.debug_string() << " cut " << cut << " limit " << limit << " depth " << depth;
          }
        }
      }
    }
  }
}

TEST(RecordScannerChunking, HandCraftedEdgesAgree) {
  const std::vector<Bytes> cases = {
      {'F', 'L', 'U', 'X', 1, 0, 0x07, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F},                    // huge list
      {'F', 'L', 'U', 'X', 1, 0, 0x03, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0xFF, 0x02},  // > 64 bits
      {'F', 'L', 'U', 'X', 1, 0, 0x09, 0x80, 0x80, 0x80, 0x80, 0x10, 0x00},              // tag > 32 bits
      {'F', 'L', 'U', 'X', 1, 0, 0x08, 0x01, 0x01, 'k', 0x4F},                           // unknown tag
      {'F', 'L', 'U', 'X', 1, 0, 0x08, 0x02, 0x00, 0x07, 0x00, 0x01, 'a', 0x04, 1, 2, 3, 4, 5, 6, 7, 8},
      {'F', 'L', 'U', 'X', 1, 0, 0x05, 0x80, 0x01},                                      // 128-byte string
      {'F', 'L', 'U', 'X', 1, 0, 0x0A, 0x00},                                            // empty tuple
      {'C', 'R', 'O', 'U', 2, 0, 0x09, 0x01, 0x05, 0x01, 'a', 0x03, 1, 2, 3, 4, 5, 6, 7, 8},  // legacy
      {'F', 'L', 'U', 'X', 2, 0, 0x00},                                                  // bad version
  };
  for (const Bytes& c : cases) {
    for (std::size_t limit : {std::size_t{16} << 20, std::size_t{12}, std::size_t{9}}) {
      for (std::size_t cut = 1; cut <= c.size(); ++cut) {
        const Limits l{.max_record_bytes = limit};
        const ByteView prefix(c.data(), cut);
        ASSERT_EQ(whole(prefix, l, RecordScanner::Mode::record), bytewise(prefix, l, RecordScanner::Mode::record))
            << "case of " << c.size() << " bytes, cut " << cut << " limit " << limit;
      }
    }
  }
}

TEST(RecordScannerChunking, ManyRecordsInOneBufferThenSplitAnywhere) {
  test::RandomValueGenerator gen(5);
  Bytes stream;
  std::vector<std::size_t> sizes;
  for (int i = 0; i < 200; ++i) {
    const Bytes r = encode_flux(gen.next());
    sizes.push_back(r.size());
    stream.insert(stream.end(), r.begin(), r.end());
  }
  for (std::size_t chunk : {std::size_t{1}, std::size_t{3}, std::size_t{17}, std::size_t{4096}, stream.size()}) {
    RecordScanner s;
    std::vector<std::size_t> found;
    for (std::size_t pos = 0; pos < stream.size(); pos += chunk) {
      const std::size_t n = std::min(chunk, stream.size() - pos);
      std::size_t used = 0;
      while (used < n) {
        const auto r = s.feed({stream.data() + pos + used, n - used});
        used += r.consumed;
        ASSERT_NE(r.status, Status::error) << s.error().what();
        if (r.status == Status::complete) found.push_back(s.record_size());
      }
    }
    EXPECT_EQ(found, sizes) << "chunk " << chunk;
    EXPECT_TRUE(s.at_boundary());
  }
}

}  // namespace
}  // namespace crous
