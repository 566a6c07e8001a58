#include "ocib/memory_store.h"

#include <string>
#include <thread>
#include <vector>

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

TEST(MemoryBlobStoreTest, NothingIsVisibleBeforeCommit) {
  MemoryBlobStore mem;
  auto w = mem.NewWriter();
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE((*w)->Write("abc", 3).has_value());
  EXPECT_EQ(*mem.Has(Digest::Sha256Of("abc")), false);
  auto d = (*w)->Commit("text/plain");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(d->digest, Digest::Sha256Of("abc"));
  EXPECT_EQ(d->size, 3);
  EXPECT_EQ(d->media_type, "text/plain");
  EXPECT_EQ(*mem.Has(d->digest), true);
  EXPECT_EQ(*mem.ReadAll(d->digest), "abc");
}

TEST(MemoryBlobStoreTest, AWrongExpectedDigestStoresNothing) {
  MemoryBlobStore mem;
  EXPECT_THAT(mem.Put("x", "abc", Digest::Sha256Of("abd")),
              StatusIs(ErrorCode::kDataLoss, HasSubstr("does not match")));
  EXPECT_EQ(mem.size(), 0u);
}

TEST(MemoryBlobStoreTest, AbortedWritersLeaveNothingAndRefuseMore) {
  MemoryBlobStore mem;
  auto w = mem.NewWriter();
  ASSERT_TRUE(w.has_value());
  ASSERT_TRUE((*w)->Write("abc", 3).has_value());
  (*w)->Abort();
  EXPECT_FALSE((*w)->Write("d", 1).has_value());
  EXPECT_FALSE((*w)->Commit("x").has_value());
  EXPECT_EQ(mem.size(), 0u);
}

TEST(MemoryBlobStoreTest, OpenOfAnAbsentBlobIsNotFound) {
  MemoryBlobStore mem;
  EXPECT_THAT(mem.Open(Digest::Sha256Of("nope")),
              StatusIs(ErrorCode::kNotFound, HasSubstr("in-memory store")));
}

TEST(MemoryBlobStoreTest, ConcurrentPutsOfOneBlobStoreItOnce) {
  MemoryBlobStore mem;
  std::vector<std::thread> threads;
  threads.reserve(8);
  for (int i = 0; i < 8; ++i) {
    threads.emplace_back([&mem, i] {
      ASSERT_TRUE(mem.Put("x", "same").has_value());
      ASSERT_TRUE(mem.Put("x", "own " + std::to_string(i)).has_value());
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(mem.size(), 9u);
  EXPECT_EQ(*mem.ReadAll(Digest::Sha256Of("same")), "same");
}

}  // namespace
}  // namespace ocib
