// The connection layer's parts that need no sockets: the output queue, the
// input budget and the fair worker pool.
#include <gtest/gtest.h>

#include <atomic>
#include <condition_variable>
#include <mutex>
#include <thread>

#include "deadline_queue.hpp"
#include "input_budget.hpp"
#include "log_throttle.hpp"
#include "output_queue.hpp"
#include "worker_pool.hpp"

namespace crous::server::detail {
namespace {

using namespace std::chrono_literals;

std::string text_of(const std::vector<std::span<const std::uint8_t>>& pieces) {
  std::string out;
  for (auto p : pieces) out.append(reinterpret_cast<const char*>(p.data()), p.size());
  return out;
}

void put(OutputQueue& q, std::string_view text) {
  q.emit([&](Bytes& out) { out.insert(out.end(), text.begin(), text.end()); });
}

TEST(OutputQueue, ResponsesBehindAnOpenSlotWaitForIt) {
  OutputQueue q;
  put(q, "a");
  auto slot = q.reserve();
  put(q, "c");
  EXPECT_EQ(text_of(q.gather(64)), "a");
  q.written(1);
  EXPECT_TRUE(q.gather(64).empty());  // the slot is not filled yet
  EXPECT_FALSE(q.filled(slot));
  EXPECT_TRUE(q.fill(slot, Bytes{'b'}));
  EXPECT_FALSE(q.fill(slot, Bytes{'x'}));  // a slot is filled once; the late one is dropped
  EXPECT_EQ(text_of(q.gather(64)), "bc");
  q.written(2);
  EXPECT_TRUE(q.empty());
  EXPECT_EQ(q.pending_bytes(), 0u);
}

TEST(OutputQueue, NothingIsAppendedToChunksBeingWrittenAndPartialWritesResume) {
  OutputQueue q;
  put(q, "hello");
  EXPECT_EQ(text_of(q.gather(64)), "hello");
  EXPECT_TRUE(q.writing());
  put(q, "world");  // goes to a new chunk: the first is under the kernel
  EXPECT_TRUE(q.gather(64).empty());  // one write in flight
  q.written(3);
  EXPECT_EQ(q.pending_bytes(), 7u);
  EXPECT_EQ(text_of(q.gather(64)), "loworld");
  q.written(7);
  EXPECT_TRUE(q.empty());
}

TEST(OutputQueue, AFailedEncodeLeavesNoHalfRecord) {
  OutputQueue q;
  put(q, "ok");
  EXPECT_THROW(q.emit([](Bytes& out) {
    out.push_back('x');
    throw std::runtime_error("encode failed");
  }),
               std::runtime_error);
  EXPECT_EQ(q.pending_bytes(), 2u);
  EXPECT_EQ(text_of(q.gather(64)), "ok");
}

TEST(OutputQueue, GatherTakesAtMostTheGivenNumberOfBuffers) {
  OutputQueue q;
  std::vector<OutputQueue::Slot> slots;
  for (int i = 0; i < 10; ++i) slots.push_back(q.reserve());
  for (int i = 0; i < 10; ++i) q.fill(slots[i], Bytes{static_cast<std::uint8_t>('0' + i)});
  EXPECT_EQ(text_of(q.gather(4)), "0123");
  q.written(4);
  EXPECT_EQ(text_of(q.gather(64)), "456789");
}

class FakeHolder : public InputBudget::Holder {
 public:
  void budget_evict() override { ++evicted; }
  void budget_available() override { ++woken; }
  int evicted = 0;
  int woken = 0;
};

TEST(InputBudget, ReadsThatFitAreAdmittedAndOthersWaitWhileTheLargestIsEvicted) {
  InputBudget budget(1000);
  FakeHolder small, large, newcomer;
  budget.hold(small, 200);
  budget.hold(large, 700);
  EXPECT_TRUE(budget.admit(newcomer, 100));
  budget.hold(newcomer, 50);
  EXPECT_EQ(budget.used(), 950u);
  // 200 more do not fit: the newcomer waits, the largest holder is asked to go.
  EXPECT_FALSE(budget.admit(newcomer, 200));
  EXPECT_EQ(large.evicted, 1);
  EXPECT_EQ(small.evicted, 0);
  // Asking again while that eviction is pending evicts nobody else.
  EXPECT_FALSE(budget.admit(newcomer, 200));
  EXPECT_EQ(small.evicted, 0);
  EXPECT_EQ(budget.evictions(), 1u);
  // The evicted holder lets go: waiters are told.
  budget.hold(large, 0);
  EXPECT_EQ(newcomer.woken, 1);
  EXPECT_TRUE(budget.admit(newcomer, 200));
  EXPECT_EQ(budget.used(), 250u);
}

TEST(InputBudget, BytesAlreadyReadAreKeptAndOverflowEvicts) {
  InputBudget budget(1000);
  FakeHolder a, b;
  budget.hold(a, 900);
  budget.hold(b, 300);  // the tail of a read: kept, over the limit
  EXPECT_EQ(budget.used(), 1200u);
  EXPECT_EQ(a.evicted, 1);  // the largest goes
  EXPECT_EQ(b.evicted, 0);
  budget.hold(a, 0);
  budget.hold(b, 0);
  EXPECT_EQ(budget.used(), 0u);
}

TEST(WorkerPool, OwnersAreServedInTurn) {
  WorkerPool pool(1);
  std::mutex mutex;
  std::condition_variable cv;
  bool release = false;
  std::vector<std::string> order;
  // The single worker is held until every job is queued.
  int hog_owner = 0, other_owner = 0;
  pool.submit(&hog_owner, [&] {
    std::unique_lock lock(mutex);
    cv.wait(lock, [&] { return release; });
    order.push_back("gate");
  });
  while (pool.load().running == 0) std::this_thread::sleep_for(1ms);
  for (int i = 0; i < 3; ++i)
    pool.submit(&hog_owner, [&, i] {
      std::lock_guard lock(mutex);
      order.push_back("hog" + std::to_string(i));
    });
  pool.submit(&other_owner, [&] {
    std::lock_guard lock(mutex);
    order.push_back("other");
  });
  EXPECT_EQ(pool.load().queued, 4u);
  {
    std::lock_guard lock(mutex);
    release = true;
  }
  cv.notify_all();
  while (pool.load().queued != 0 || pool.load().running != 0) std::this_thread::sleep_for(1ms);
  std::lock_guard lock(mutex);
  // The hog was in line first, so one of its jobs goes; then the other
  // owner's, not the rest of the hog's queue.
  EXPECT_EQ(order, (std::vector<std::string>{"gate", "hog0", "other", "hog1", "hog2"}));
}

}  // namespace
}  // namespace crous::server::detail

namespace crous::server::detail {
namespace {

struct Named : DeadlineQueue::Timed {
  explicit Named(std::string n) : name(std::move(n)) {}
  std::string name;
};

TEST(DeadlineQueue, FiresInDeadlineOrderFollowsMovesAndCancelsAndLetsRunReturn) {
  boost::asio::io_context ctx;
  std::vector<std::string> fired;
  DeadlineQueue queue(ctx, [&](DeadlineQueue::Timed& t) { fired.push_back(static_cast<Named&>(t).name); });
  Named a("a"), b("b"), c("c"), d("d");
  const auto now = DeadlineQueue::clock::now();
  queue.schedule(a, now + 40ms);
  queue.schedule(b, now + 10ms);
  queue.schedule(c, now + 30ms);
  queue.schedule(d, now + 20ms);
  queue.schedule(a, now + 5ms);  // moved earlier
  queue.schedule(b, now + 50ms);  // moved later
  queue.cancel(c);
  EXPECT_EQ(queue.size(), 3u);
  ctx.run();  // returns once nothing is scheduled
  EXPECT_EQ(fired, (std::vector<std::string>{"a", "d", "b"}));
  EXPECT_FALSE(a.scheduled());
  EXPECT_GE(DeadlineQueue::clock::now() - now, 50ms);

  // Cancelling the last entry drops the pending wait too.
  ctx.restart();
  queue.schedule(a, DeadlineQueue::clock::now() + 1h);
  queue.cancel(a);
  auto started = DeadlineQueue::clock::now();
  ctx.run();
  EXPECT_LT(DeadlineQueue::clock::now() - started, 1s);
  EXPECT_EQ(fired.size(), 3u);
}

}  // namespace
}  // namespace crous::server::detail

namespace crous::server::detail {
namespace {

TEST(LogThrottle, LetsABurstThroughPerPeriodThenCountsWhatItHeldBack) {
  using namespace std::chrono_literals;
  LogThrottle throttle(10s, 3);
  const auto t0 = LogThrottle::clock::now();
  for (int i = 0; i < 3; ++i) EXPECT_EQ(throttle.admit(t0 + std::chrono::seconds(i)), std::optional<std::uint64_t>(0));
  for (int i = 0; i < 5; ++i) EXPECT_FALSE(throttle.admit(t0 + 5s));
  // A new period: the first line says five were held back, the next says none.
  EXPECT_EQ(throttle.admit(t0 + 11s), std::optional<std::uint64_t>(5));
  EXPECT_EQ(throttle.admit(t0 + 12s), std::optional<std::uint64_t>(0));
}

}  // namespace
}  // namespace crous::server::detail
