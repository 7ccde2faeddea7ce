#pragma once
// Writes records to an Output in one format, taking the direct (no value
// tree) path where one exists: FLUX -> CROUT and CROUT -> FLUX.
#include "crous/crout.hpp"
#include "output.hpp"
#include "crous/json/record_source.hpp"

namespace crous::cli {

class FormatWriter {
 public:
  FormatWriter(Output& out, json::Format format, bool pretty);

  // The current record of `source`. Text formats end each record with '\n'.
  void write(json::RecordSource& source);
  // One value as a record of its own (an item, with --items).
  void write(const Value& value);

 private:
  Output& out_;
  json::Format format_;
  bool pretty_;
  Bytes scratch_;
};

}  // namespace crous::cli
