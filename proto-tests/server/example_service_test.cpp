// The embedding example (examples/example_service.cpp) as a real process:
// its inline and offloaded handlers, and its clean stop.
#include <gtest/gtest.h>
#include <signal.h>

#include "server_test_util.hpp"

namespace crous::test {
namespace {

TEST(ExampleService, InlineAndOffloadedHandlersAnswerInOrder) {
  ServerProcess proc({"--port", "0", "--threads", "1", "--workers", "2"}, "crous-example-service");
  Client c(proc.port());
  c.send(Dict{{"op", "count_primes"}, {"below", 2'000'000}, {"id", 1}});
  c.send(Dict{{"op", "greet"}, {"name", "Ada"}, {"id", 2}});
  c.send(Dict{{"op", "greet"}, {"id", 3}});
  c.send(Dict{{"op", "count_primes"}, {"below", 100}});
  EXPECT_EQ(c.read(), Value(Dict{{"below", 2'000'000}, {"primes", 148'933}}));
  EXPECT_EQ(c.read(), Value(Dict{{"greeting", "hello, Ada"}}));
  Value bad = c.read();
  EXPECT_EQ(error_code_of(bad), "bad_request") << bad;
  EXPECT_EQ(bad["id"], Value(3));
  EXPECT_EQ(c.read(), Value(Dict{{"below", 100}, {"primes", 25}}));
  proc.signal(SIGTERM);
  EXPECT_TRUE(c.closed_without_more_data());
  EXPECT_EQ(proc.wait_exit(10s), 0) << proc.log();
}

}  // namespace
}  // namespace crous::test
