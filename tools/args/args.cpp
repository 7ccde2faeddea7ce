#include "crous/cli/args.hpp"

#include <cstdio>

namespace crous::cli {

namespace {

constexpr OptionSpec help_spec{"--help", false, "-h"};

}  // namespace

Args::Args(std::span<char* const> arguments, std::initializer_list<OptionSpec> specs,
           std::initializer_list<std::span<const OptionSpec>> shared)
    : specs_(specs) {
  for (const auto set : shared) specs_.insert(specs_.end(), set.begin(), set.end());
  specs_.push_back(help_spec);
  bool options_done = false;
  for (std::size_t i = 0; i < arguments.size(); ++i) {
    const std::string_view arg = arguments[i];
    if (arg == "--" && !options_done) {
      options_done = true;
      continue;
    }
    const bool long_option = arg.size() > 2 && arg.starts_with("--");
    const auto equals = long_option ? arg.find('=') : std::string_view::npos;
    const std::string_view name = arg.substr(0, equals);
    const OptionSpec* spec = options_done ? nullptr : find_spec(name);
    if (spec == nullptr) {
      if (long_option && !options_done) throw UsageError("unknown option " + std::string(name) + " (see --help)");
      positional_.emplace_back(arg);
      continue;
    }
    if (!spec->takes_value) {
      if (equals != std::string_view::npos) throw UsageError("option " + std::string(name) + " takes no value");
      options_.emplace_back(spec->name, "");
    } else if (equals != std::string_view::npos) {
      options_.emplace_back(spec->name, arg.substr(equals + 1));
    } else {
      if (i + 1 >= arguments.size()) throw UsageError("option " + std::string(name) + " needs a value");
      options_.emplace_back(spec->name, arguments[++i]);
    }
  }
}

bool Args::flag(std::string_view name) const {
  for (const auto& [option, value] : options_) {
    if (option == name) return true;
  }
  return false;
}

std::optional<std::string> Args::value(std::string_view name) const {
  std::optional<std::string> found;
  for (const auto& [option, value] : options_) {
    if (option == name) found = value;
  }
  return found;
}

std::optional<std::string> Args::choice(std::string_view name, std::initializer_list<std::string_view> choices) const {
  std::optional<std::string> text = value(name);
  if (!text) return std::nullopt;
  std::string expected;
  std::size_t i = 0;
  for (const std::string_view choice : choices) {
    if (*text == choice) return text;
    expected += i == 0 ? "" : i + 1 == choices.size() ? " or " : ", ";
    expected += choice;
    ++i;
  }
  throw UsageError(std::string(name) + ": expected " + expected + ", got '" + *text + "'");
}

bool Args::printed_help(const char* help) const {
  if (!flag("--help") && !flag("-h")) return false;
  std::fputs(help, stdout);
  return true;
}

std::string Args::input() const {
  if (positional_.size() > 1) throw UsageError("expected at most one INPUT, got " + std::to_string(positional_.size()));
  return positional_.empty() ? "-" : positional_.front();
}

const OptionSpec* Args::find_spec(std::string_view name) const {
  for (const auto& spec : specs_) {
    if (spec.name == name || (!spec.alias.empty() && spec.alias == name)) return &spec;
  }
  return nullptr;
}

}  // namespace crous::cli
