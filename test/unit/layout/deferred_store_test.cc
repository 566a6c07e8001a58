// DeferredBlobStore (lib/layout/deferred_store.cc): blobs held until Flush.
#include "lib/layout/deferred_store.h"

#include <filesystem>
#include <string>
#include <vector>

#include "ocib/media_type.h"
#include "ocib/oci_layout.h"

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

TEST(DeferredBlobStoreTest, HoldsBlobsUntilFlushThenWritesThemAll) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path());
  ASSERT_THAT(layout, IsOk());
  DeferredBlobStore docs(**layout);
  std::vector<Descriptor> put;
  for (int i = 0; i < 12; ++i) {
    auto d = docs.Put(media_type::kImageConfig, "{\"n\":" + std::to_string(i) + "}");
    ASSERT_THAT(d, IsOk());
    put.push_back(*d);
  }
  ASSERT_THAT(docs.Put(media_type::kImageConfig, "{\"n\":0}"), IsOk());  // idempotent
  EXPECT_EQ(docs.pending(), 12u);
  // Readable through the deferred store, not yet in the layout.
  EXPECT_THAT(docs.ReadAll(put[3].digest), IsOk());
  EXPECT_EQ(*docs.ReadAll(put[3].digest), "{\"n\":3}");
  EXPECT_TRUE(*docs.Has(put[3].digest));
  EXPECT_FALSE(*(*layout)->Has(put[3].digest));
  // A writer whose content is not what the caller expected stores nothing.
  auto w = docs.NewWriter();
  ASSERT_THAT(w, IsOk());
  ASSERT_THAT((*w)->Write("xyz", 3), IsOk());
  EXPECT_THAT((*w)->Commit(media_type::kImageConfig, put[0].digest),
              StatusIs(ErrorCode::kDataLoss, HasSubstr("expected")));
  EXPECT_EQ(docs.pending(), 12u);

  ASSERT_THAT(docs.Flush(), IsOk());
  EXPECT_EQ(docs.pending(), 0u);
  for (const auto& d : put) {
    auto bytes = (*layout)->ReadAll(d.digest);  // checks the digest
    ASSERT_THAT(bytes, IsOk());
    EXPECT_EQ(static_cast<int64_t>(bytes->size()), d.size);
  }
  // No temporary file is left next to the blobs.
  for (const auto& e : std::filesystem::directory_iterator(tmp.path() + "/blobs")) {
    EXPECT_EQ(e.path().filename(), "sha256");
  }
}

TEST(DeferredBlobStoreTest, FlushReportsTheTargetsError) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/l");
  ASSERT_THAT(layout, IsOk());
  DeferredBlobStore docs(**layout);
  auto d = docs.Put(media_type::kImageConfig, "{}");
  ASSERT_THAT(d, IsOk());
  // The layout's blobs directory is replaced by a file: no blob can be written.
  std::filesystem::remove_all(tmp.path() + "/l/blobs");
  WriteFileOrDie(tmp.path() + "/l/blobs", "not a directory");
  EXPECT_THAT(docs.Flush(), StatusIs(ErrorCode::kIo, HasSubstr(d->digest.ToString())));
}

}  // namespace
}  // namespace ocib
