#include "record_input.hpp"

#include <fstream>
#include <optional>
#include <iterator>

#include "crous/crout.hpp"
#include "crous/error.hpp"
#include "crous/flux.hpp"
#include "crous/record_stream.hpp"
#include "crous/stream.hpp"
#include "json_mapping.hpp"  // tools/json: the JSON mapping the crous CLI uses
#include "json_reader.hpp"

namespace crous::echo {

namespace {

constexpr std::string_view crout_magic = "CROUT1";

std::string_view skip_space(std::string_view text) {
  const auto start = text.find_first_not_of(" \t\r\n");
  return start == std::string_view::npos ? std::string_view{} : text.substr(start);
}

bool is_binary_record(std::string_view data) { return data.starts_with("FLUX") || data.starts_with("CROU\x02"); }

std::vector<Value> read_flux_stream(std::string_view data) {
  MemoryInputStream in(as_bytes(data));
  RecordReader reader(in);
  std::vector<Value> records;
  while (auto record = reader.next()) records.push_back(std::move(*record));
  return records;
}

// CROUT goes through crout_to_flux + decode_flux rather than the value
// builder: one conversion path for every input format.
std::vector<Value> read_crout_stream(std::string_view data) {
  MemoryInputStream in(as_bytes(data));
  CroutReader reader(in);
  std::vector<Value> records;
  for (Bytes flux; reader.next_flux(flux); flux.clear()) records.push_back(decode_flux(flux));
  return records;
}

std::vector<Value> read_json_records(std::string_view data) {
  MemoryInputStream in(as_bytes(data));
  cli::JsonReader reader(in);
  std::vector<Value> records;
  while (auto record = reader.next()) records.push_back(std::move(*record));
  return records;
}

// The record when `text` is one JSON value, else nullopt.
std::optional<Value> try_parse_json(std::string_view text) {
  const auto parsed = cli::Json::parse(text.begin(), text.end(), nullptr, false);
  if (parsed.is_discarded()) return std::nullopt;
  return cli::from_json(parsed);
}

std::string read_whole_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw InputError("cannot open " + path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<Value> parse_named(const std::string& name, std::string_view data) {
  try {
    return parse_records(data);
  } catch (const InputError& e) {
    throw InputError(name + ": " + e.what());
  } catch (const DecodeError& e) {
    throw InputError(name + ": " + e.what());
  }
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

std::vector<Value> parse_records(std::string_view data) {
  if (is_binary_record(data)) return read_flux_stream(data);
  if (skip_space(data).starts_with(crout_magic)) return read_crout_stream(data);
  return read_json_records(data);
}

std::vector<Value> load_records(const EchoOptions& options, std::istream& in) {
  std::vector<Value> records;
  if (options.records.empty() && options.op) {
    records.emplace_back(Dict{{"op", *options.op}});
    return records;
  }
  if (options.records.empty()) {
    const std::string data{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
    records = parse_named("stdin", data);
  }
  for (std::size_t i = 0; i < options.records.size(); ++i) {
    const std::string& arg = options.records[i];
    if (arg.starts_with("@")) {
      auto from_file = parse_named(arg.substr(1), read_whole_file(arg.substr(1)));
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
