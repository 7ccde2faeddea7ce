#include "crous/client/compression.hpp"

#include <stdexcept>
#include <string>

namespace crous::client {

std::string_view to_string(Compression compression) noexcept {
  switch (compression) {
    case Compression::none: return "none";
    case Compression::lz4: return "lz4";
  }
  return "unknown";
}

Value hello_request(Compression offered) {
  List names;
  if (offered != Compression::none) names.push_back(Value(std::string(to_string(offered))));
  return Dict{{"op", "hello"}, {"compression", std::move(names)}};
}

namespace {

[[noreturn]] void refuse(std::string_view peer, const std::string& why) {
  throw ClientError(ClientErrc::hello_failed, std::string(peer) + " " + why);
}

// A value shown in a message: long echoes must not flood a log line.
std::string shown(const Value& value) {
  std::string text = value.debug_string();
  if (text.size() > 200) text = text.substr(0, 200) + "...";
  return text;
}

// The announced page_size or size_bytes, which must be a non-negative int.
std::int64_t format_field(const Value& answer, const char* name, std::string_view peer) {
  const Value* field = answer.find(name);
  if (field == nullptr || !field->is_int() || field->as_int() < 0) {
    refuse(peer, std::string("chose lz4 without a valid \"") + name + "\": " + shown(answer));
  }
  return field->as_int();
}

}  // namespace

HelloAnswer parse_hello_answer(const Value& answer, Compression offered, std::string_view peer) {
  if (auto error = server_error_in(answer)) {
    std::string why = "answered the compression hello with an error record: " + error->code() + ": " + error->message();
    // An older crous-server routes "hello" like any op it does not know.
    if (error->code() == "unknown_op") why += " (the server predates compression: connect without it)";
    refuse(peer, why);
  }
  const Value* chosen = answer.is_dict() ? answer.find("compression") : nullptr;
  if (chosen == nullptr || !chosen->is_string()) {
    refuse(peer, "did not answer the compression hello (no \"compression\" name in " + shown(answer) + ")");
  }
  const std::string& name = chosen->as_string();
  if (name == "none") return {};
  if (name != "lz4" || offered != Compression::lz4) {
    refuse(peer, "chose compression '" + name + "', which was not offered");
  }
  HelloAnswer result{Compression::lz4, {}};
  // Checked before the cast: a huge value must not wrap into a valid one.
  const auto page_size = format_field(answer, "page_size", peer);
  const auto size_bytes = format_field(answer, "size_bytes", peer);
  if (page_size > static_cast<std::int64_t>(Lz4Format::max_page_size) || size_bytes > 4) {
    refuse(peer, "announced an LZ4 format this client cannot use: page_size " + std::to_string(page_size) +
                     ", size_bytes " + std::to_string(size_bytes));
  }
  result.format.page_size = static_cast<std::size_t>(page_size);
  result.format.size_bytes = static_cast<unsigned>(size_bytes);
  try {
    result.format.validate();
  } catch (const std::invalid_argument& e) {
    refuse(peer, std::string("announced an LZ4 format this client cannot use: ") + e.what());
  }
  return result;
}

}  // namespace crous::client
