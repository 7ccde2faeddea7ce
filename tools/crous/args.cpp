#include "args.hpp"

#include <cstdio>

#include "cli_error.hpp"

namespace crous::cli {

Args::Args(int argc, char** argv, std::initializer_list<OptionSpec> specs, std::initializer_list<std::span<const OptionSpec>> shared)
    : specs_(specs) {
  for (const auto set : shared) specs_.insert(specs_.end(), set.begin(), set.end());
  bool options_done = false;
  for (int i = 0; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (options_done || arg == "-" || !arg.starts_with('-')) {
      positional_.emplace_back(arg);
      continue;
    }
    if (arg == "--") {
      options_done = true;
      continue;
    }
    const auto equals = arg.find('=');
    const std::string_view name = arg.substr(0, equals);
    const OptionSpec* spec = find_spec(name);
    if (spec == nullptr) usage_error("unknown option " + std::string(name) + " (see --help)");
    if (!spec->takes_value) {
      if (equals != std::string_view::npos) usage_error("option " + std::string(name) + " takes no value");
      options_.emplace_back(name, "");
    } else if (equals != std::string_view::npos) {
      options_.emplace_back(name, arg.substr(equals + 1));
    } else {
      if (i + 1 >= argc) usage_error("option " + std::string(name) + " needs a value");
      options_.emplace_back(name, argv[++i]);
    }
  }
}

bool Args::flag(std::string_view name) const {
  for (const auto& [option, value] : options_) {
    if (option == name) return true;
  }
  return false;
}

// The last occurrence wins, as in most tools.
std::optional<std::string> Args::value(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [option, value] : options_) {
    if (option == name) found = value;
  }
  return found;
}

bool Args::printed_help(const char* help) const {
  if (!flag("--help") && !flag("-h")) return false;
  std::fputs(help, stdout);
  return true;
}

std::string Args::input() const {
  if (positional_.size() > 1) usage_error("expected at most one INPUT, got " + std::to_string(positional_.size()));
  return positional_.empty() ? "-" : positional_.front();
}

const OptionSpec* Args::find_spec(std::string_view name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name) return &spec;
  }
  return nullptr;
}

}  // namespace crous::cli
