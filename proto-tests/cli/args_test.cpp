// The command-line parser shared by crous, crous-echo and crous-bench.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "crous/cli/args.hpp"

namespace crous::cli {
namespace {

// Args reads argv-style arrays; keep the strings alive beside it.
struct Argv {
  explicit Argv(std::vector<std::string> words) : strings(std::move(words)) {
    for (auto& s : strings) pointers.push_back(s.data());
  }
  std::span<char* const> span() const { return pointers; }
  std::vector<std::string> strings;
  std::vector<char*> pointers;
};

const std::initializer_list<OptionSpec> specs = {
    {"--to", true}, {"--output", true, "-o"}, {"--quiet", false, "-q"}, {"--port", true}, {"--format", true}};

std::string usage_message(std::vector<std::string> words) {
  Argv argv(std::move(words));
  try {
    Args args(argv.span(), specs);
    (void)args.number<unsigned short>("--port", 1);
    (void)args.choice("--format", {"crout", "json", "flux"});
  } catch (const UsageError& e) {
    return e.what();
  }
  return "";
}

TEST(Args, ValuesFlagsAliasesAndPositionals) {
  Argv argv({"--to", "crout", "-o", "out.flux", "--quiet", "in.flux", "--port=7000", "-5", "-"});
  Args args(argv.span(), specs);
  EXPECT_EQ(args.value("--to"), "crout");
  EXPECT_EQ(args.value("--output"), "out.flux");  // given as -o
  EXPECT_TRUE(args.flag("--quiet"));
  EXPECT_FALSE(args.flag("--format"));
  EXPECT_EQ(args.number<int>("--port", 1), 7000);
  // Not options: a JSON record that starts with '-', and '-' (stdin).
  EXPECT_EQ(args.positional(), (std::vector<std::string>{"in.flux", "-5", "-"}));
}

TEST(Args, TheLastOccurrenceWinsAndDoubleDashEndsOptions) {
  Argv argv({"--to", "json", "--to", "flux", "--", "--quiet", "--to"});
  Args args(argv.span(), specs);
  EXPECT_EQ(args.value("--to"), "flux");
  EXPECT_FALSE(args.flag("--quiet"));
  EXPECT_EQ(args.positional(), (std::vector<std::string>{"--quiet", "--to"}));
}

TEST(Args, HelpIsAlwaysKnown) {
  Argv argv({"-h"});
  Args args(argv.span(), specs);
  testing::internal::CaptureStdout();
  EXPECT_TRUE(args.printed_help("usage: test\n"));
  EXPECT_EQ(testing::internal::GetCapturedStdout(), "usage: test\n");
  Argv none({"x"});
  EXPECT_FALSE(Args(none.span(), specs).printed_help("usage: test\n"));
}

TEST(Args, BadCommandLinesNameTheOption) {
  EXPECT_EQ(usage_message({"--nope"}), "unknown option --nope (see --help)");
  EXPECT_EQ(usage_message({"--to"}), "option --to needs a value");
  EXPECT_EQ(usage_message({"--quiet=yes"}), "option --quiet takes no value");
  EXPECT_EQ(usage_message({"--port", "70x"}), "--port: expected a number, got '70x'");
  EXPECT_EQ(usage_message({"--port", ""}), "--port: expected a number, got ''");
  EXPECT_EQ(usage_message({"--port", "0"}), "--port: must be at least 1, got '0'");
  EXPECT_EQ(usage_message({"--port", "70000"}), "--port: expected a number, got '70000'");
  EXPECT_EQ(usage_message({"--format", "yaml"}), "--format: expected crout, json or flux, got 'yaml'");
  EXPECT_EQ(usage_message({"--format", "json", "--port", "9"}), "");
}

TEST(Args, AtMostOneInput) {
  Argv two({"a", "b"});
  EXPECT_THROW((void)Args(two.span(), specs).input(), UsageError);
  Argv none({});
  EXPECT_EQ(Args(none.span(), specs).input(), "-");
}

}  // namespace
}  // namespace crous::cli
