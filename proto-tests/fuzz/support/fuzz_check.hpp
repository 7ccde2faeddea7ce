#pragma once
// How a harness reports a broken promise: print what and where, then abort,
// which libFuzzer and the replay driver both treat as a failure (and
// libFuzzer saves the input as a crash artifact).
#include <cstdio>
#include <cstdlib>
#include <string>

#define FUZZ_CHECK(condition, what)                                                                   \
  do {                                                                                                \
    if (!(condition)) ::crous::fuzz::fail(__FILE__, __LINE__, #condition, std::string(what));        \
  } while (false)

namespace crous::fuzz {

[[noreturn]] inline void fail(const char* file, int line, const char* condition, const std::string& what) {
  std::fprintf(stderr, "%s:%d: broken promise: %s\n  (%s)\n", file, line, what.c_str(), condition);
  std::fflush(stderr);
  std::abort();
}

}  // namespace crous::fuzz
