#include "record_input.hpp"

#include <fstream>
#include <iterator>
#include <optional>
#include <system_error>

#include "crous/crout.hpp"
#include "crous/error.hpp"
#include "crous/flux.hpp"
#include "crous/json/format.hpp"
#include "crous/json/json_reader.hpp"  // the JSON mapping the crous CLI uses
#include "crous/json/peekable_input.hpp"
#include "crous/json/record_source.hpp"
#include "crous/stream.hpp"

namespace crous::echo {

namespace {

constexpr std::string_view crout_magic = "CROUT1";

std::string_view skip_space(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  return start == std::string_view::npos ? std::string_view{} : text.substr(start);
}

// The record when `text` is one JSON value, else nullopt. JSON that the
// mapping refuses (an integer beyond 64 bits, a bad marker) is an error.
std::optional<Value> try_parse_json(std::string_view text) {
  MemoryInputStream in(as_bytes(text));
  json::JsonReader reader(in);
  try {
    auto record = reader.next();
    if (!record || reader.next()) return std::nullopt;  // none, or more than one
    return record;
  } catch (const DecodeError& e) {
    if (e.code() == ErrorCode::syntax) return std::nullopt;
    throw;
  }
}

std::vector<Value> read_named(const std::string& name, InputStream& in) {
  try {
    return read_records(in);
  } catch (const DecodeError& e) {
    throw InputError(name + ": " + e.what());
  } catch (const std::system_error& e) {
    throw InputError(name + ": cannot read: " + e.what());
  }
}

std::vector<Value> read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  if (!file) throw InputError("cannot open " + path);
  IstreamInputStream in(file);
  return read_named(path, in);
}

Value with_op(Value record, const std::string& op) {
  if (!record.is_dict()) throw InputError("--op needs dict records, got a " + std::string(to_string(record.kind())));
  record.as_dict().insert_or_assign("op", Value(op));
  return record;
}

}  // namespace

Value parse_record_text(std::string_view text) {
  if (auto json = try_parse_json(text)) return std::move(*json);
  const std::string_view body = skip_space(text);
  try {
    if (body.starts_with(crout_magic)) return decode_flux(crout_to_flux(text));
    return decode_flux(crout_to_flux(std::string(crout_magic) + "\n" + std::string(text)));
  } catch (const DecodeError& e) {
    throw InputError("not JSON, and not CROUT either: " + std::string(e.what()));
  }
}

std::vector<Value> read_records(InputStream& stream) {
  json::PeekableInput in(stream);
  // What has no header of ours is read as JSON (crous-echo needs no --from).
  json::RecordSource source(in, json::detect_format(in).value_or(json::Format::json));
  std::vector<Value> records;
  while (source.next()) records.push_back(source.value());
  return records;
}

std::vector<Value> load_records(const EchoOptions& options, std::istream& in) {
  std::vector<Value> records;
  if (options.records.empty() && options.op) {
    records.emplace_back(Dict{{"op", *options.op}});
    return records;
  }
  if (options.records.empty()) {
    IstreamInputStream stdin_stream(in);
    records = read_named("stdin", stdin_stream);
  }
  for (std::size_t i = 0; i < options.records.size(); ++i) {
    const std::string& arg = options.records[i];
    if (arg.starts_with("@")) {
      auto from_file = read_file(arg.substr(1));
      std::move(from_file.begin(), from_file.end(), std::back_inserter(records));
      continue;
    }
    try {
      records.push_back(parse_record_text(arg));
    } catch (const InputError& e) {
      throw InputError("RECORD " + std::to_string(i + 1) + ": " + e.what());
    }
  }
  if (options.op) {
    for (auto& record : records) record = with_op(std::move(record), *options.op);
  }
  return records;
}

}  // namespace crous::echo
