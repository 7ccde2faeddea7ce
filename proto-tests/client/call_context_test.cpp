// CallContext: the deadline and cancellation signal Pool calls inherit.
#include <gtest/gtest.h>

#include <stdexcept>
#include <vector>

#include "crous/client/call_context.hpp"

namespace crous::client {
namespace {

using namespace std::chrono_literals;

TEST(CallContext, CancelRunsEachRegisteredCallbackOnceInOrder) {
  CallContext ctx;
  std::vector<int> ran;
  auto first = ctx.on_cancel([&] { ran.push_back(1); });
  auto second = ctx.on_cancel([&] { ran.push_back(2); });
  EXPECT_FALSE(ctx.cancelled());
  ctx.cancel(CancelReason::disconnected);
  ctx.cancel(CancelReason::deadline);  // the first reason stays; nothing runs twice
  EXPECT_EQ(ran, (std::vector<int>{1, 2}));
  EXPECT_TRUE(ctx.cancelled());
  EXPECT_EQ(ctx.cancel_reason(), CancelReason::disconnected);
  EXPECT_EQ(to_string(ctx.cancel_reason()), "disconnected");
}

TEST(CallContext, ADroppedRegistrationIsNotCalled) {
  CallContext ctx;
  int ran = 0;
  {
    auto gone = ctx.on_cancel([&] { ran += 10; });
  }
  auto kept = ctx.on_cancel([&] { ++ran; });
  auto reset = ctx.on_cancel([&] { ran += 100; });
  reset.reset();
  ctx.cancel();
  EXPECT_EQ(ran, 1);
  EXPECT_EQ(ctx.cancel_reason(), CancelReason::requested);
}

TEST(CallContext, RegisteringOnACancelledContextRunsAtOnce) {
  CallContext ctx;
  ctx.cancel(CancelReason::shutdown);
  bool ran = false;
  auto registration = ctx.on_cancel([&] { ran = true; });
  EXPECT_TRUE(ran);
}

TEST(CallContext, ARegistrationDroppedByAnEarlierCallbackDoesNotRun) {
  CallContext ctx;
  int ran = 0;
  CallContext::Registration second;
  auto first = ctx.on_cancel([&] {
    ++ran;
    second.reset();
  });
  second = ctx.on_cancel([&] { ++ran; });
  ctx.cancel();
  EXPECT_EQ(ran, 1);  // the second was unregistered before its turn: what it captured may be gone
}

TEST(CallContext, AThrowingCallbackDoesNotStopTheOthers) {
  CallContext ctx;
  bool later_ran = false;
  auto thrower = ctx.on_cancel([] { throw std::runtime_error("callback failed"); });
  auto later = ctx.on_cancel([&] { later_ran = true; });
  EXPECT_THROW(ctx.cancel(), std::runtime_error);
  EXPECT_TRUE(later_ran);
  EXPECT_TRUE(ctx.cancelled());
}

TEST(CallContext, RemainingCountsDownToZero) {
  const auto now = CallContext::clock::now();
  CallContext ctx(now + 250ms);
  EXPECT_TRUE(ctx.has_deadline());
  EXPECT_EQ(ctx.remaining(now), 250ms);
  EXPECT_EQ(ctx.remaining(now + 1s), 0ms);
  CallContext none;
  EXPECT_FALSE(none.has_deadline());
  EXPECT_EQ(none.remaining(), std::chrono::milliseconds::max());
}

}  // namespace
}  // namespace crous::client
