// ParallelFor (lib/core/parallel.h): every index once, at most `jobs` at a
// time, no index started after a failure, the lowest failing index's error.
#include "lib/core/parallel.h"

#include <atomic>
#include <mutex>
#include <set>
#include <string>
#include <thread>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib::core {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

TEST(ParallelForTest, RunsEveryIndexOnce) {
  for (int jobs : {-1, 0, 1, 2, 7, 100}) {
    SCOPED_TRACE(jobs);
    std::vector<std::atomic<int>> runs(50);
    ASSERT_THAT(ParallelFor(runs.size(), jobs,
                            [&](size_t i) {
                              runs[i].fetch_add(1);
                              return OkStatus();
                            }),
                IsOk());
    for (const auto& r : runs) EXPECT_EQ(r.load(), 1);
  }
  EXPECT_THAT(ParallelFor(0, 4, [](size_t) { return Internal("never called"); }), IsOk());
}

TEST(ParallelForTest, NeverRunsMoreThanJobsAtOnce) {
  std::atomic<int> running{0};
  std::atomic<int> most{0};
  std::mutex mu;
  std::set<std::thread::id> threads;
  ASSERT_THAT(ParallelFor(40, 3,
                          [&](size_t) {
                            const int now = running.fetch_add(1) + 1;
                            int seen = most.load();
                            while (now > seen && !most.compare_exchange_weak(seen, now)) {
                            }
                            {
                              std::lock_guard<std::mutex> lock(mu);
                              threads.insert(std::this_thread::get_id());
                            }
                            std::this_thread::yield();
                            running.fetch_sub(1);
                            return OkStatus();
                          }),
              IsOk());
  EXPECT_LE(most.load(), 3);
  EXPECT_LE(threads.size(), 3u);
}

TEST(ParallelForTest, OneJobStopsAtTheFirstFailure) {
  std::vector<size_t> ran;
  Status st = ParallelFor(10, 1, [&](size_t i) -> Status {
    ran.push_back(i);
    if (i == 3) return DataLoss("index 3");
    return OkStatus();
  });
  EXPECT_THAT(st, StatusIs(ErrorCode::kDataLoss, HasSubstr("index 3")));
  EXPECT_EQ(ran, (std::vector<size_t>{0, 1, 2, 3}));
}

TEST(ParallelForTest, TheLowestFailingIndexWins) {
  // Every index fails, each on its own thread: whichever finishes first,
  // the answer is index 0's.
  for (int round = 0; round < 20; ++round) {
    Status st = ParallelFor(4, 4, [](size_t i) -> Status {
      if (i == 0) std::this_thread::yield();
      return NotFound("index " + std::to_string(i));
    });
    EXPECT_THAT(st, StatusIs(ErrorCode::kNotFound, HasSubstr("index 0")));
  }
}

TEST(ParallelForTest, CpuJobsIsAtLeastOne) { EXPECT_GE(CpuJobs(), 1); }

}  // namespace
}  // namespace ocib::core
