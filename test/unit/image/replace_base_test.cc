// ReplaceBase (lib/image/replace_base.cc, ocib/image.h): the result is what
// building on the new base gives (layers, diff_ids, config bytes, history),
// the base annotations are set, a base that is not a prefix is refused, and
// an image without history stays without.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocib/image.h"
#include "ocib/image_config.h"
#include "ocib/memory_store.h"

#include "test/unit/image/image_fixtures.h"

namespace ocib {
namespace {

using ::ocib::testing::Blob;
using ::ocib::testing::MakeImage;

class ReplaceBaseTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryBlobStore> store_ = std::make_shared<MemoryBlobStore>();
};

TEST_F(ReplaceBaseTest, ReplaceBaseGivesWhatBuildingOnTheNewBaseGives) {
  NewLayer a = Blob(store_, "a");
  NewLayer b = Blob(store_, "b");
  NewLayer app = Blob(store_, "app");
  Image b1 = MakeImage(store_, {a});
  auto b2_store = std::make_shared<MemoryBlobStore>();
  NewLayer b2_layer = Blob(b2_store, "patched");
  Image b2 = MakeImage(b2_store, {a, b2_layer});
  b2.blobs.repository = "reg.test/base";
  Image on_b1 = MakeImage(store_, {a, app});
  Image on_b2 = MakeImage(store_, {a, b2_layer, app});
  auto out = ReplaceBase(on_b1, b1, b2, "");
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(out->layers, on_b2.layers);
  EXPECT_EQ(out->diff_ids, on_b2.diff_ids);
  EXPECT_EQ(out->config.bytes, on_b2.config.bytes);
  EXPECT_EQ(out->SourceOf(b2_layer.blob.digest).repository, "reg.test/base");
  EXPECT_EQ(out->SourceOf(app.blob.digest).store, store_);
  auto m = Manifest::Parse(out->manifest.bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->annotations.at("org.opencontainers.image.base.digest"),
            b2.manifest.descriptor.digest.ToString());
  EXPECT_FALSE(m->annotations.contains("org.opencontainers.image.base.name"));
  auto named = ReplaceBase(on_b1, b1, b2, "oci:b2");
  ASSERT_TRUE(named.has_value());
  EXPECT_NE(named->manifest.descriptor.digest, out->manifest.descriptor.digest);

  Image unrelated = MakeImage(store_, {b});
  auto refused = ReplaceBase(on_b1, unrelated, b2, "");
  ASSERT_FALSE(refused.has_value());
  EXPECT_EQ(refused.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(refused.error().ToString().find("linux/amd64"), std::string::npos);
}

// A new base whose config has no history (another tool's image): the
// result gets one "base layer K" entry per base layer, dated as the base,
// followed by the image's own entries.
TEST_F(ReplaceBaseTest, ReplaceBaseOntoABaseWithoutHistory) {
  NewLayer a = Blob(store_, "a");
  NewLayer p = Blob(store_, "p");
  NewLayer app = Blob(store_, "app");
  Image b1 = MakeImage(store_, {a});
  Image b2 = MakeImage(store_, {a, p});
  auto cfg = ImageConfig::Parse(b2.config.bytes);
  ASSERT_TRUE(cfg.has_value());
  cfg->history.clear();
  cfg->created = "2020-02-02T00:00:00Z";
  b2.config.bytes = cfg->Serialize();
  b2.config.descriptor = DescribeBytes(b2.config.descriptor.media_type, b2.config.bytes);
  Image on_b1 = MakeImage(store_, {a, app});
  auto out = ReplaceBase(on_b1, b1, b2, "");
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  auto got = ImageConfig::Parse(out->config.bytes);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->history.size(), 3U);
  EXPECT_EQ(got->history[0].created_by, "base layer 0");
  EXPECT_EQ(got->history[1].created_by, "base layer 1");
  EXPECT_EQ(got->history[1].created, "2020-02-02T00:00:00Z");
  EXPECT_EQ(got->history[2].created_by, "layer " + app.blob.digest.ToString());
}

// A base name is kept as org.opencontainers.image.base.name, and a
// rebase with an empty name removes the one the image had.
TEST_F(ReplaceBaseTest, TheBaseNameAnnotationIsSetOrRemoved) {
  NewLayer a = Blob(store_, "a");
  NewLayer app = Blob(store_, "app");
  Image b1 = MakeImage(store_, {a});
  Image b2 = MakeImage(store_, {Blob(store_, "a2")});
  Image on_b1 = MakeImage(store_, {a, app});
  auto named = ReplaceBase(on_b1, b1, b2, "oci:b2");
  ASSERT_TRUE(named.has_value()) << named.error().ToString();
  auto m = Manifest::Parse(named->manifest.bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->annotations.at("org.opencontainers.image.base.name"), "oci:b2");
  EXPECT_EQ(named->manifest.descriptor.digest, Digest::Sha256Of(named->manifest.bytes));
  EXPECT_EQ(named->manifest.descriptor.size, static_cast<int64_t>(named->manifest.bytes.size()));
  // Back onto b1 without a name: the annotation the first rebase set goes.
  auto back = ReplaceBase(*named, b2, b1, "");
  ASSERT_TRUE(back.has_value()) << back.error().ToString();
  auto mb = Manifest::Parse(back->manifest.bytes);
  ASSERT_TRUE(mb.has_value());
  EXPECT_FALSE(mb->annotations.contains("org.opencontainers.image.base.name"));
  EXPECT_EQ(back->layers, on_b1.layers);
  EXPECT_EQ(back->config.bytes, on_b1.config.bytes);
  auto bad = ReplaceBase(on_b1, b1, b2, "oci:\xff");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

// An image whose history does not describe its layers (another tool's)
// gets no history, not the new base's.
TEST_F(ReplaceBaseTest, AnImageWithoutHistoryStaysWithout) {
  NewLayer a = Blob(store_, "a");
  Image b1 = MakeImage(store_, {a});
  Image b2 = MakeImage(store_, {Blob(store_, "p"), Blob(store_, "q")});
  Image on_b1 = MakeImage(store_, {a, Blob(store_, "app")});
  auto cfg = ImageConfig::Parse(on_b1.config.bytes);
  ASSERT_TRUE(cfg.has_value());
  cfg->history.clear();
  on_b1.config.bytes = cfg->Serialize();
  on_b1.config.descriptor = DescribeBytes(on_b1.config.descriptor.media_type, on_b1.config.bytes);
  auto out = ReplaceBase(on_b1, b1, b2, "");
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  auto got = ImageConfig::Parse(out->config.bytes);
  ASSERT_TRUE(got.has_value());
  EXPECT_TRUE(got->history.empty());
  EXPECT_EQ(got->diff_ids.size(), 3U);
  EXPECT_EQ(out->layers.size(), 3U);
}

// ImageOnBase starts a build's image: the base's layers, a history of one
// entry per layer ("base layer K" when the base's does not describe its
// layers), unknown config fields dropped, a new manifest with only the
// base annotations, and the base's store for its layers.
TEST_F(ReplaceBaseTest, ImageOnBaseStartsFromTheBaseLayersAndAnnotatesIt) {
  Image base = MakeImage(store_, {Blob(store_, "a"), Blob(store_, "b")});
  auto cfg = nlohmann::json::parse(base.config.bytes);
  cfg.erase("history");
  cfg["unknown"] = 1;
  cfg["created"] = "2020-02-02T00:00:00Z";
  base.config.bytes = cfg.dump();
  auto m = nlohmann::json::parse(base.manifest.bytes);
  m["annotations"] = {{"own", "x"}};
  base.manifest.bytes = m.dump();
  base.manifest.descriptor.digest = Digest::Sha256Of(base.manifest.bytes);
  auto out = ImageOnBase(base, "example.com/base:1");
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  auto got = ImageConfig::Parse(out->config.bytes);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->history.size(), 2U);
  EXPECT_EQ(got->history[1].created_by, "base layer 1");
  EXPECT_EQ(got->history[1].created, "2020-02-02T00:00:00Z");
  EXPECT_EQ(out->config.bytes.find("unknown"), std::string::npos);
  auto om = Manifest::Parse(out->manifest.bytes);
  ASSERT_TRUE(om.has_value());
  EXPECT_EQ(om->layers, base.layers);
  EXPECT_EQ(om->annotations.size(), 2U);
  EXPECT_EQ(om->annotations.at("org.opencontainers.image.base.digest"),
            base.manifest.descriptor.digest.ToString());
  EXPECT_EQ(om->annotations.at("org.opencontainers.image.base.name"), "example.com/base:1");
  EXPECT_EQ(out->diff_ids, base.diff_ids);
  EXPECT_EQ(out->SourceOf(base.layers[0].digest).store, store_);
  auto unnamed = ImageOnBase(base, "");
  ASSERT_TRUE(unnamed.has_value());
  auto um = Manifest::Parse(unnamed->manifest.bytes);
  ASSERT_TRUE(um.has_value());
  EXPECT_FALSE(um->annotations.contains("org.opencontainers.image.base.name"));
}

// A base whose history describes its layers keeps it; a base whose config
// lists fewer diff_ids than it has layers is refused.
TEST_F(ReplaceBaseTest, ImageOnBaseKeepsADescribingHistoryAndRefusesAMismatch) {
  Image base = MakeImage(store_, {Blob(store_, "a")});
  auto out = ImageOnBase(base, "");
  ASSERT_TRUE(out.has_value());
  auto got = ImageConfig::Parse(out->config.bytes);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->history.size(), 1U);
  EXPECT_EQ(got->history[0].created_by, "layer " + base.layers[0].digest.ToString());
  base.layers.push_back(Blob(store_, "z").blob);
  auto bad = ImageOnBase(base, "");
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

}  // namespace
}  // namespace ocib
