// The BlobStore defaults (lib/io/blob_store.cc), seen through a store that
// overrides none of them, and the OCI layout's overrides.
#include "ocib/blob_store.h"

#include <string>
#include <vector>

#include "ocib/memory_store.h"
#include "ocib/oci_layout.h"

#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::testing::HasSubstr;

std::string ReadAllFrom(Reader& r) {
  std::string out;
  char buf[3];  // small, so reads cross the range's edges
  while (true) {
    auto n = r.Read(buf, sizeof(buf));
    EXPECT_TRUE(n.has_value());
    if (!n || *n == 0) return out;
    out.append(buf, *n);
  }
}

TEST(BlobStoreTest, OpenRangeSkipsAndLimits) {
  MemoryBlobStore mem;
  auto d = mem.Put("x", "0123456789");
  ASSERT_TRUE(d.has_value());
  auto r = mem.OpenRange(d->digest, 3, 4);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(ReadAllFrom(**r), "3456");
  auto whole = mem.OpenRange(d->digest, 0, 10);
  ASSERT_TRUE(whole.has_value());
  EXPECT_EQ(ReadAllFrom(**whole), "0123456789");
  auto none = mem.OpenRange(d->digest, 10, 0);
  ASSERT_TRUE(none.has_value());
  EXPECT_EQ(ReadAllFrom(**none), "");
}

TEST(BlobStoreTest, OpenRangePastTheEndIsDataLoss) {
  MemoryBlobStore mem;
  auto d = mem.Put("x", "0123456789");
  ASSERT_TRUE(d.has_value());
  auto r = mem.OpenRange(d->digest, 8, 5);
  ASSERT_TRUE(r.has_value());
  char buf[16];
  auto first = (*r)->Read(buf, sizeof(buf));
  ASSERT_TRUE(first.has_value());
  EXPECT_EQ(*first, 2u);
  auto second = (*r)->Read(buf, sizeof(buf));
  ASSERT_FALSE(second.has_value());
  EXPECT_EQ(second.error().code(), ErrorCode::kDataLoss);

  auto skip_past = mem.OpenRange(d->digest, 11, 1);
  ASSERT_TRUE(skip_past.has_value());
  auto n = (*skip_past)->Read(buf, sizeof(buf));
  ASSERT_FALSE(n.has_value());
  EXPECT_EQ(n.error().code(), ErrorCode::kDataLoss);
}

TEST(BlobStoreTest, OpenRangeRefusesNegativeRanges) {
  MemoryBlobStore mem;
  auto d = mem.Put("x", "abc");
  ASSERT_TRUE(d.has_value());
  EXPECT_EQ(mem.OpenRange(d->digest, -1, 2).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(mem.OpenRange(d->digest, 0, -2).error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(mem.OpenRange(Digest::Sha256Of("absent"), 0, 1).error().code(), ErrorCode::kNotFound);
}

TEST(BlobStoreTest, PutAllStoresEachAndStopsAtAWrongDigest) {
  MemoryBlobStore mem;
  std::vector<BlobStore::BlobBytes> blobs = {{"one", Digest::Sha256Of("one")},
                                             {"two", Digest::Sha256Of("not two")},
                                             {"three", Digest::Sha256Of("three")}};
  Status st = mem.PutAll(blobs);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(*mem.Has(Digest::Sha256Of("one")), true);
  EXPECT_EQ(*mem.Has(Digest::Sha256Of("two")), false);
  EXPECT_EQ(*mem.Has(Digest::Sha256Of("not two")), false);
  EXPECT_EQ(mem.size(), 1u);
}

TEST(BlobStoreTest, StoresWithoutFilesNeitherLinkNorNameFiles) {
  ScopedTempDir tmp;
  testing::WriteFileOrDie(tmp.path() + "/f", "abc");
  MemoryBlobStore mem;
  EXPECT_FALSE(mem.LinksFiles());
  EXPECT_FALSE(mem.LinkFile(tmp.path() + "/f", Digest::Sha256Of("abc")));
  EXPECT_EQ(mem.LocalFile(Digest::Sha256Of("abc")), std::nullopt);
  EXPECT_EQ(*mem.Has(Digest::Sha256Of("abc")), false);
}

TEST(BlobStoreTest, CopyFromChecksTheDescriptorsSize) {
  MemoryBlobStore from;
  MemoryBlobStore to;
  auto d = from.Put("x", "payload");
  ASSERT_TRUE(d.has_value());
  Descriptor wrong = *d;
  wrong.size = 3;
  Status st = to.CopyFrom(from, wrong);
  ASSERT_FALSE(st);
  EXPECT_EQ(st.error().code(), ErrorCode::kDataLoss);
  EXPECT_EQ(to.size(), 0u);
  EXPECT_THAT(to.CopyFrom(from, *d), IsOk());
  EXPECT_EQ(to.bytes(), 7u);
}

TEST(OciLayoutStoreTest, LinksFilesAndReadsRanges) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/layout");
  ASSERT_TRUE(layout.has_value());
  OciLayout& l = **layout;
  EXPECT_TRUE(l.LinksFiles());
  testing::WriteFileOrDie(tmp.path() + "/f", "linked bytes");
  Digest digest = Digest::Sha256Of("linked bytes");
  ASSERT_TRUE(l.LinkFile(tmp.path() + "/f", digest));
  ASSERT_EQ(l.LocalFile(digest), l.BlobPath(digest));
  struct stat a {};
  struct stat b {};
  ASSERT_EQ(::stat((tmp.path() + "/f").c_str(), &a), 0);
  ASSERT_EQ(::stat(l.BlobPath(digest).c_str(), &b), 0);
  EXPECT_EQ(a.st_ino, b.st_ino);  // a link, not a copy
  auto r = l.OpenRange(digest, 7, 5);
  ASSERT_TRUE(r.has_value());
  EXPECT_EQ(ReadAllFrom(**r), "bytes");
  EXPECT_FALSE(l.LinkFile(tmp.path() + "/missing", Digest::Sha256Of("missing")));
}

TEST(OciLayoutStoreTest, OpenRangeOfAnAbsentBlobIsNotFound) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/layout");
  ASSERT_TRUE(layout.has_value());
  auto r = (*layout)->OpenRange(Digest::Sha256Of("absent"), 0, 1);
  ASSERT_FALSE(r.has_value());
  EXPECT_EQ(r.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(r.error().ToString(), HasSubstr("No such file"));
}

}  // namespace
}  // namespace ocib
