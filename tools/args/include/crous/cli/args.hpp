#pragma once
// The command-line parser of crous, crous-echo and crous-bench (the server
// has its layered config loader instead): long options with or without a
// value (`--to crout`, `--to=crout`), registered short aliases (`-o file`,
// `-q`), flags, and positional arguments. `-` alone and anything that is
// neither `--name` nor a registered short option (`-5` is a JSON record) are
// positional; `--` ends the options. Errors throw UsageError with a message
// naming the option, which each program prints its own way.
#include <charconv>
#include <initializer_list>
#include <limits>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

namespace crous::cli {

// A bad command line.
class UsageError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct OptionSpec {
  std::string_view name;        // "--to", "--output"
  bool takes_value = false;
  std::string_view alias = {};  // "-o": the same option
};

class Args {
 public:
  // `arguments` excludes the program (and command) name. `shared`: option
  // sets several commands accept. --help and -h are always known.
  Args(std::span<char* const> arguments, std::initializer_list<OptionSpec> specs,
       std::initializer_list<std::span<const OptionSpec>> shared = {});
  Args(int argc, char** argv, std::initializer_list<OptionSpec> specs,
       std::initializer_list<std::span<const OptionSpec>> shared = {})
      : Args(std::span<char* const>(argv, static_cast<std::size_t>(argc)), specs, shared) {}

  bool flag(std::string_view name) const;
  // The value of the last occurrence, as most tools do.
  std::optional<std::string> value(std::string_view name) const;
  // The value as a number of type T (integral or floating), at least `min`;
  // UsageError "--port: expected a number, got 'x'" otherwise.
  template <class T>
  std::optional<T> number(std::string_view name, T min = std::numeric_limits<T>::lowest()) const;
  // The value, which must be one of `choices`; UsageError
  // "--format: expected crout, json or flux, got 'x'" otherwise.
  std::optional<std::string> choice(std::string_view name, std::initializer_list<std::string_view> choices) const;
  // Prints `help` on stdout if --help or -h was given; the program then has
  // nothing else to do.
  bool printed_help(const char* help) const;
  const std::vector<std::string>& positional() const noexcept { return positional_; }
  // The single optional INPUT argument ("-" or absent means stdin).
  std::string input() const;

  // `text` as a number of type T, at least `min`; `what` names it in the
  // error (an option or an environment variable).
  template <class T>
  static T parse_number(std::string_view what, std::string_view text, T min = std::numeric_limits<T>::lowest());

 private:
  const OptionSpec* find_spec(std::string_view name) const;

  std::vector<OptionSpec> specs_;
  std::vector<std::pair<std::string, std::string>> options_;  // canonical name, value
  std::vector<std::string> positional_;
};

template <class T>
T Args::parse_number(std::string_view what, std::string_view text, T min) {
  static_assert(std::is_arithmetic_v<T>);
  T value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size() || text.empty())
    throw UsageError(std::string(what) + ": expected a number, got '" + std::string(text) + "'");
  if (value < min)
    throw UsageError(std::string(what) + ": must be at least " + std::to_string(min) + ", got '" + std::string(text) + "'");
  return value;
}

template <class T>
std::optional<T> Args::number(std::string_view name, T min) const {
  const std::optional<std::string> text = value(name);
  if (!text) return std::nullopt;
  return parse_number<T>(name, *text, min);
}

}  // namespace crous::cli
