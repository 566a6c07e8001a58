#include "ocib/layer_batch.h"

#include <unistd.h>

#include <atomic>
#include <mutex>
#include <string>
#include <vector>

#include "ocib/memory_store.h"
#include "ocib/oci_layout.h"

#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

// Three trees of different sizes: a shared one and one per "platform".
struct Trees {
  FileTree shared, amd64, arm64;
  Trees() {
    EXPECT_THAT(shared.AddFile("/etc/app.conf", "level=3\n", 0644), IsOk());
    EXPECT_THAT(amd64.AddFile("/app", std::string(200000, 'a') + "amd64", 0755), IsOk());
    EXPECT_THAT(arm64.AddFile("/app", std::string(300000, 'b') + "arm64", 0755), IsOk());
  }
  std::vector<const FileTree*> All() const { return {&shared, &amd64, &arm64}; }
};

// What BuildLayer gives for each tree, one at a time, without a cache.
std::vector<Layer> OneByOne(const std::vector<const FileTree*>& trees, const LayerOptions& o) {
  MemoryBlobStore store;
  std::vector<Layer> out;
  for (const FileTree* t : trees) {
    auto l = BuildLayer(*t, store, o);
    EXPECT_THAT(l, IsOk());
    if (l) out.push_back(*l);
  }
  return out;
}

class LayerBatchTest : public ::testing::TestWithParam<Compression> {
 protected:
  void SetUp() override {
    auto cache = LayerCache::Open(tmp_.path() + "/cache");
    ASSERT_THAT(cache, IsOk());
    cache_ = std::move(*cache);
    options_.layer.compression = GetParam();
    options_.layer.mtime = 1700000000;
  }
  ScopedTempDir tmp_;
  std::unique_ptr<LayerCache> cache_;
  LayerBatchOptions options_;
  Trees trees_;
};

// Each layer is BuildLayer's for its tree, in the inputs' order, with or
// without a cache, cold or warm, looked up in the store or checked before it.
TEST_P(LayerBatchTest, LayersAreBuildLayersInOrderColdOrWarm) {
  const std::vector<Layer> want = OneByOne(trees_.All(), options_.layer);
  ASSERT_EQ(want.size(), 3u);
  auto expect_same = [&](const std::vector<BuiltLayer>& got, bool reused) {
    ASSERT_EQ(got.size(), want.size());
    for (size_t k = 0; k < want.size(); ++k) {
      EXPECT_EQ(got[k].layer.descriptor, want[k].descriptor) << k;
      EXPECT_EQ(got[k].layer.diff_id, want[k].diff_id) << k;
      EXPECT_EQ(got[k].reused, reused) << k;
    }
  };
  MemoryBlobStore plain;
  auto uncached = BuildLayers(trees_.All(), plain, options_);
  ASSERT_THAT(uncached, IsOk());
  expect_same(*uncached, false);

  options_.cache = cache_.get();
  auto out = OciLayout::OpenOrCreate(tmp_.path() + "/out");
  ASSERT_THAT(out, IsOk());
  auto cold = BuildLayers(trees_.All(), **out, options_);
  ASSERT_THAT(cold, IsOk());
  expect_same(*cold, false);
  // Warm, into the same layout (Find: nothing to read or copy).
  auto warm = BuildLayers(trees_.All(), **out, options_);
  ASSERT_THAT(warm, IsOk());
  expect_same(*warm, true);
  // Warm, checked before a new store exists, then placed into it.
  LayerBatch batch(
      {{&trees_.shared, nullptr, ""}, {&trees_.amd64, nullptr, ""}, {&trees_.arm64, nullptr, ""}},
      options_);
  auto peeked = batch.Peeked();
  ASSERT_TRUE(peeked.has_value());
  EXPECT_EQ((*peeked)[2].descriptor, want[2].descriptor);
  batch.StartChecks();
  MemoryBlobStore fresh;
  auto placed = batch.Build(fresh);
  ASSERT_THAT(placed, IsOk());
  expect_same(*placed, true);
  for (const Layer& l : want) {
    auto bytes = fresh.ReadAll(l.descriptor.digest);
    ASSERT_THAT(bytes, IsOk());
    EXPECT_EQ(bytes->size(), static_cast<size_t>(l.descriptor.size));
  }
}

// A tree known by its content id is loaded only when the cache misses it;
// the events report the plan once and every layer with its action.
TEST_P(LayerBatchTest, ContentIdTreesAreLoadedOnlyOnAMiss) {
  options_.cache = cache_.get();
  std::atomic<int> loads{0};
  auto input = [&] {
    auto id_only = std::make_shared<FileTree>();
    id_only->SetContentId("test-content-v1");
    return std::pair{id_only, LayerInput{id_only.get(),
                                         [&]() -> Result<FileTree> {
                                           ++loads;
                                           FileTree full = trees_.amd64;
                                           full.SetContentId("test-content-v1");
                                           return full;
                                         },
                                         "the id-only layer"}};
  };
  std::mutex mu;
  std::vector<LayerEvent> events;
  int plans = 0;
  options_.events.on_plan = [&](const TransferPlan& p) {
    std::lock_guard<std::mutex> lock(mu);
    ++plans;
    EXPECT_EQ(p.blobs, 2);
  };
  options_.events.on_layer = [&](const LayerEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    events.push_back(e);
  };
  MemoryBlobStore store;
  {
    auto [tree, in] = input();
    LayerBatch batch({in, {&trees_.shared, nullptr, ""}}, options_);
    EXPECT_FALSE(batch.Peeked().has_value());
    auto got = batch.Build(store);
    ASSERT_THAT(got, IsOk());
    // Built from the loaded entries: the amd64 tree's layer.
    EXPECT_EQ((*got)[0].layer.diff_id, OneByOne({&trees_.amd64}, options_.layer)[0].diff_id);
  }
  EXPECT_EQ(loads.load(), 1);
  {
    auto [tree, in] = input();
    LayerBatch batch({in, {&trees_.shared, nullptr, ""}}, options_);
    EXPECT_TRUE(batch.Peeked().has_value());
    auto got = batch.Build(store);
    ASSERT_THAT(got, IsOk());
    EXPECT_TRUE((*got)[0].reused);
  }
  EXPECT_EQ(loads.load(), 1);  // the warm batch never read the entries
  EXPECT_EQ(plans, 2);
  ASSERT_EQ(events.size(), 4u);
  int cached = 0;
  for (const LayerEvent& e : events) cached += e.action == BlobAction::kCached ? 1 : 0;
  EXPECT_EQ(cached, 2);
}

// A failing tree fails the batch with its name; a failing load likewise.
TEST_P(LayerBatchTest, AFailureNamesTheLayer) {
  // A host file removed after it was added.
  const std::string gone = tmp_.path() + "/gone";
  ::ocib::testing::WriteFileOrDie(gone, "binary");
  FileTree missing;
  ASSERT_THAT(missing.AddHostFile(gone, "/app", 0755), IsOk());
  ASSERT_EQ(::unlink(gone.c_str()), 0);
  MemoryBlobStore store;
  LayerBatch batch(
      {{&trees_.shared, nullptr, ""}, {&missing, nullptr, "the layer for linux/s390x"}}, options_);
  auto failed = batch.Build(store);
  ASSERT_FALSE(failed.has_value());
  EXPECT_THAT(failed.error().ToString(), HasSubstr("building the layer for linux/s390x: "));

  options_.cache = cache_.get();
  FileTree id_only;
  id_only.SetContentId("never-cached");
  LayerBatch loading({{&id_only, [] { return Result<FileTree>(NotFound("no entries here")); }, ""}},
                     options_);
  EXPECT_THAT(loading.Build(store), StatusIs(ErrorCode::kNotFound, HasSubstr("building layer 0")));
}

INSTANTIATE_TEST_SUITE_P(Compressions, LayerBatchTest,
                         ::testing::Values(Compression::kZstd, Compression::kGzip),
                         [](const auto& p) { return std::string(CompressionName(p.param)); });

}  // namespace
}  // namespace ocib
