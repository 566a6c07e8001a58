// The image model's operations (lib/image/image.cc, ocib/image.h) on images
// held in a MemoryBlobStore: inputs untouched, documents edited and kept
// canonical, appended layers recorded with their stores, platform selection
// and Reindex.
#include "ocib/image.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "ocib/image_config.h"
#include "ocib/memory_store.h"

#include "lib/io/streams.h"
#include "test/testing/test_util.h"
#include "test/unit/image/image_fixtures.h"

namespace ocib {
namespace {

using ::ocib::testing::Blob;
using ::ocib::testing::MakeImage;
using ::ocib::testing::StatusIs;
using ::ocib::testing::TwoPlatforms;
using ::testing::HasSubstr;

class ImageTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryBlobStore> store_ = std::make_shared<MemoryBlobStore>();
};

// History texts go into JSON: text that is not UTF-8 is an error naming
// it, never an exception, and the input is untouched.
TEST_F(ImageTest, AppendLayerRefusesHistoryTextThatIsNotUtf8) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  NewLayer l = Blob(store_, "b");
  auto bad_time = AppendLayer(in, l, "2024-01-01T00:00:00Z\xff", "ok");
  ASSERT_FALSE(bad_time.has_value());
  EXPECT_EQ(bad_time.error().ToString(), "the history entry's time is not valid UTF-8");
  auto bad_by = AppendLayer(in, l, "2024-01-01T00:00:00Z", "ocib append: \xc0\xaf");
  ASSERT_FALSE(bad_by.has_value());
  EXPECT_EQ(bad_by.error().ToString(), "the history entry is not valid UTF-8");
  auto ok = AppendLayer(in, l, "2024-01-01T00:00:00Z", "ocib append: caf\xc3\xa9");
  ASSERT_TRUE(ok.has_value()) << ok.error().ToString();
}

TEST_F(ImageTest, SetConfigReturnsANewImageAndKeepsTheInput) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  const Image copy = in;
  ConfigChanges c;
  c.env = {"MODE=prod", "PATH=/usr/bin"};
  c.expose = {"80"};
  auto out = SetConfig(in, c);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(in.config.bytes, copy.config.bytes);
  EXPECT_EQ(in.manifest.bytes, copy.manifest.bytes);
  auto cfg = ImageConfig::Parse(out->config.bytes);
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->config.env, (std::vector<std::string>{"PATH=/usr/bin", "MODE=prod"}));
  EXPECT_EQ(cfg->config.exposed_ports, std::set<std::string>{"80/tcp"});
  auto m = Manifest::Parse(out->manifest.bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->config.digest, out->config.descriptor.digest);
  EXPECT_EQ(out->manifest.descriptor.digest, Digest::Sha256Of(out->manifest.bytes));
  EXPECT_EQ(m->layers, in.layers);
  auto again = SetConfig(in, c);
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->manifest.descriptor.digest, out->manifest.descriptor.digest);
}

TEST_F(ImageTest, BadChangesAreRefused) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  ConfigChanges env;
  env.env = {"NOEQUALS"};
  EXPECT_EQ(SetConfig(in, env).error().code(), ErrorCode::kInvalidArgument);
  ConfigChanges port;
  port.expose = {"99999"};
  EXPECT_EQ(SetConfig(in, port).error().code(), ErrorCode::kInvalidArgument);
}

TEST_F(ImageTest, AppendLayerAddsLayerDiffIdHistoryAndItsStore) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  auto other = std::make_shared<MemoryBlobStore>();
  NewLayer added = Blob(other, "b");
  auto out = AppendLayer(in, added, "1970-01-01T00:00:01Z", "ocib append: b");
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  ASSERT_EQ(out->layers.size(), 2u);
  EXPECT_EQ(out->layers[1].digest, added.blob.digest);
  EXPECT_EQ(out->diff_ids, (std::vector<Digest>{in.diff_ids[0], added.diff_id}));
  EXPECT_EQ(out->SourceOf(added.blob.digest).store, other);
  EXPECT_EQ(out->SourceOf(in.layers[0].digest).store, store_);
  auto cfg = ImageConfig::Parse(out->config.bytes);
  ASSERT_TRUE(cfg.has_value());
  EXPECT_EQ(cfg->diff_ids, out->diff_ids);
  ASSERT_EQ(cfg->history.size(), 2u);
  EXPECT_EQ(cfg->history[1].created_by, "ocib append: b");
  EXPECT_EQ(cfg->history[1].created, "1970-01-01T00:00:01Z");
  auto m = Manifest::Parse(out->manifest.bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->layers, out->layers);
  EXPECT_EQ(in.layers.size(), 1u);
}

TEST_F(ImageTest, AppendTreeBuildsTheLayerIntoTheStore) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  FileTree tree;
  ASSERT_TRUE(tree.AddFile("etc/app.conf", "x=1\n", 0644).has_value());
  auto layers = std::make_shared<MemoryBlobStore>();
  LayerOptions opts;
  opts.compression = Compression::kGzip;
  opts.mtime = 5;
  auto out = AppendTree(in, tree, layers, opts, "ocib append: tree");
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  ASSERT_EQ(out->layers.size(), 2u);
  auto has = layers->Has(out->layers[1].digest);
  ASSERT_TRUE(has.has_value());
  EXPECT_TRUE(*has);
  EXPECT_EQ(out->layers[1].media_type, "application/vnd.oci.image.layer.v1.tar+gzip");
  auto again = AppendTree(in, tree, std::make_shared<MemoryBlobStore>(), opts, "ocib append: tree");
  ASSERT_TRUE(again.has_value());
  EXPECT_EQ(again->manifest.descriptor.digest, out->manifest.descriptor.digest);
}

TEST_F(ImageTest, SelectPlatformsAndReindex) {
  ImageIndex index = TwoPlatforms(store_);
  auto arm = SelectPlatforms(index, {*Platform::Parse("linux/arm64")});
  ASSERT_TRUE(arm.has_value()) << arm.error().ToString();
  ASSERT_EQ(arm->images.size(), 1u);
  EXPECT_EQ(arm->images[0].platform.architecture, "arm64");
  auto missing = SelectPlatforms(index, {*Platform::Parse("linux/s390x")});
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().ToString().find("linux/arm64"), std::string::npos);

  ConfigChanges c;
  c.user = "1000";
  auto changed = SetConfig(arm->images[0], c);
  ASSERT_TRUE(changed.has_value());
  auto out = Reindex(*arm, {*changed}, {{"org.example.k", "v"}});
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  auto doc = Index::Parse(out->root.bytes);
  ASSERT_TRUE(doc.has_value());
  ASSERT_EQ(doc->manifests.size(), 1u);
  EXPECT_EQ(doc->manifests[0].digest, changed->manifest.descriptor.digest);
  EXPECT_EQ(doc->manifests[0].platform->architecture, "arm64");
  EXPECT_EQ(doc->annotations.at("org.example.k"), "v");
  EXPECT_EQ(out->root.descriptor.digest, Digest::Sha256Of(out->root.bytes));
  auto found = FindPlatform(*out, *Platform::Parse("linux/arm64"));
  ASSERT_TRUE(found.has_value());
  EXPECT_EQ(found->manifest.descriptor.digest, changed->manifest.descriptor.digest);
}

// An image with no layers: a canonical config and manifest, the config's
// platform; diff_ids without layers are refused.
TEST_F(ImageTest, EmptyImageHasTheConfigAndAManifestListingNoLayer) {
  ImageConfig cfg;
  cfg.os = "linux";
  cfg.architecture = "arm64";
  cfg.config.user = "65532";
  auto img = EmptyImage(cfg);
  ASSERT_TRUE(img.has_value()) << img.error().ToString();
  EXPECT_EQ(img->config.bytes, cfg.Serialize());
  EXPECT_EQ(img->config.descriptor.digest, Digest::Sha256Of(img->config.bytes));
  auto m = Manifest::Parse(img->manifest.bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->config.digest, img->config.descriptor.digest);
  EXPECT_TRUE(m->layers.empty());
  EXPECT_EQ(img->manifest.descriptor.digest, Digest::Sha256Of(img->manifest.bytes));
  EXPECT_EQ(img->platform.ToString(), "linux/arm64");
  ASSERT_TRUE(img->manifest.descriptor.platform.has_value());
  EXPECT_EQ(img->manifest.descriptor.platform->ToString(), "linux/arm64");
  cfg.diff_ids.push_back(Digest::Sha256Of("x"));
  auto bad = EmptyImage(cfg);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

// A layer appended to an image with no layers and no history gets a
// history entry (the history describes every layer: none); one appended to
// an image with layers and no history gets none.
TEST_F(ImageTest, AppendLayerStartsTheHistoryOfAnImageWithNoLayers) {
  ImageConfig cfg;
  cfg.os = "linux";
  cfg.architecture = "amd64";
  auto empty = EmptyImage(cfg);
  ASSERT_TRUE(empty.has_value());
  auto one = AppendLayer(*empty, Blob(store_, "a"), "1970-01-01T00:00:02Z", "first");
  ASSERT_TRUE(one.has_value()) << one.error().ToString();
  auto got = ImageConfig::Parse(one->config.bytes);
  ASSERT_TRUE(got.has_value());
  ASSERT_EQ(got->history.size(), 1U);
  EXPECT_EQ(got->history[0].created_by, "first");
  EXPECT_EQ(got->history[0].created, "1970-01-01T00:00:02Z");

  Image layered = MakeImage(store_, {Blob(store_, "b")});
  auto lcfg = ImageConfig::Parse(layered.config.bytes);
  ASSERT_TRUE(lcfg.has_value());
  lcfg->history.clear();
  auto nohist = WithConfigFile(layered, *lcfg);
  ASSERT_TRUE(nohist.has_value());
  auto two = AppendLayer(*nohist, Blob(store_, "c"), "", "second");
  ASSERT_TRUE(two.has_value());
  auto two_cfg = ImageConfig::Parse(two->config.bytes);
  ASSERT_TRUE(two_cfg.has_value());
  EXPECT_TRUE(two_cfg->history.empty());
  EXPECT_EQ(two_cfg->diff_ids.size(), 2U);
}

// WithConfigFile writes the typed config, points the manifest at it, takes
// the platform from it; a config whose diff_ids are not the image's is
// refused and the input is untouched.
TEST_F(ImageTest, WithConfigFileReplacesTheConfigAndThePlatform) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  in.manifest.descriptor.platform = in.platform;
  const Image copy = in;
  auto cfg = ImageConfig::Parse(in.config.bytes);
  ASSERT_TRUE(cfg.has_value());
  cfg->architecture = "arm";
  cfg->variant = "v7";
  cfg->config.working_dir = "/w";
  auto out = WithConfigFile(in, *cfg);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_EQ(out->config.bytes, cfg->Serialize());
  auto m = Manifest::Parse(out->manifest.bytes);
  ASSERT_TRUE(m.has_value());
  EXPECT_EQ(m->config.digest, out->config.descriptor.digest);
  EXPECT_EQ(out->platform.ToString(), "linux/arm/v7");
  ASSERT_TRUE(out->manifest.descriptor.platform.has_value());
  EXPECT_EQ(out->manifest.descriptor.platform->ToString(), "linux/arm/v7");
  EXPECT_EQ(in.config.bytes, copy.config.bytes);
  cfg->diff_ids.push_back(Digest::Sha256Of("extra"));
  auto bad = WithConfigFile(in, *cfg);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
}

// MakeIndex: one image is its own root (annotations refused: they go on
// the image); several make an OCI index listing them in order, each entry
// with its image's platform, annotated.
TEST_F(ImageTest, MakeIndexListsTheImagesWithTheirPlatforms) {
  Image a = MakeImage(store_, {Blob(store_, "a")}, "amd64");
  Image b = MakeImage(store_, {Blob(store_, "b")}, "arm64");
  auto single = MakeIndex({a});
  ASSERT_TRUE(single.has_value());
  EXPECT_FALSE(single->is_index);
  EXPECT_EQ(single->root.bytes, a.manifest.bytes);
  EXPECT_FALSE(MakeIndex({a}, {{"k", "v"}}).has_value());
  EXPECT_FALSE(MakeIndex({}).has_value());
  auto both = MakeIndex({a, b}, {{"k", "v"}});
  ASSERT_TRUE(both.has_value()) << both.error().ToString();
  EXPECT_TRUE(both->is_index);
  EXPECT_EQ(both->entries, (std::vector<size_t>{0, 1}));
  EXPECT_EQ(both->root.descriptor.digest, Digest::Sha256Of(both->root.bytes));
  auto idx = Index::Parse(both->root.bytes);
  ASSERT_TRUE(idx.has_value());
  ASSERT_EQ(idx->manifests.size(), 2U);
  EXPECT_EQ(idx->manifests[0].digest, a.manifest.descriptor.digest);
  EXPECT_EQ(idx->manifests[1].digest, b.manifest.descriptor.digest);
  ASSERT_TRUE(idx->manifests[1].platform.has_value());
  EXPECT_EQ(idx->manifests[1].platform->ToString(), "linux/arm64");
  EXPECT_EQ(idx->annotations.at("k"), "v");
}

// AppendLayers gives what AppendLayer one layer at a time gives; a count
// of history entries that does not match the layers is refused.
TEST_F(ImageTest, AppendLayersIsAppendLayerInOnePass) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  NewLayer b = Blob(store_, "b");
  NewLayer c = Blob(store_, "c");
  auto one = AppendLayer(in, b, "1970-01-01T00:00:03Z", "b");
  ASSERT_TRUE(one.has_value());
  auto two = AppendLayer(*one, c, "1970-01-01T00:00:03Z", "c");
  ASSERT_TRUE(two.has_value());
  auto both = AppendLayers(in, {b, c}, "1970-01-01T00:00:03Z", {"b", "c"});
  ASSERT_TRUE(both.has_value()) << both.error().ToString();
  EXPECT_EQ(both->config.bytes, two->config.bytes);
  EXPECT_EQ(both->manifest.bytes, two->manifest.bytes);
  EXPECT_EQ(both->diff_ids, two->diff_ids);
  EXPECT_EQ(both->SourceOf(c.blob.digest).store, store_);
  EXPECT_THAT(AppendLayers(in, {b, c}, "", {"b"}),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("2 layers")));
}

// AppendLayersWithConfig gives what AppendLayers then WithConfigFile give
// for the same config; a config whose diff_ids leave out a new layer is
// refused.
TEST_F(ImageTest, AppendLayersWithConfigIsAppendThenConfigInOneStep) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  NewLayer b = Blob(store_, "b");
  auto appended = AppendLayers(in, {b}, "1970-01-01T00:00:04Z", {"b"});
  ASSERT_TRUE(appended.has_value());
  auto cfg = ImageConfig::Parse(appended->config.bytes);
  ASSERT_TRUE(cfg.has_value());
  cfg->config.user = "65532";
  cfg->architecture = "arm64";
  auto two_steps = WithConfigFile(*appended, *cfg);
  ASSERT_TRUE(two_steps.has_value());
  auto one_step = AppendLayersWithConfig(in, {b}, *cfg);
  ASSERT_TRUE(one_step.has_value()) << one_step.error().ToString();
  EXPECT_EQ(one_step->config.bytes, two_steps->config.bytes);
  EXPECT_EQ(one_step->manifest.bytes, two_steps->manifest.bytes);
  EXPECT_EQ(one_step->platform.ToString(), "linux/arm64");
  EXPECT_EQ(one_step->layers, two_steps->layers);
  cfg->diff_ids.pop_back();
  EXPECT_THAT(AppendLayersWithConfig(in, {b}, *cfg),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("diff_ids")));
}

// A tar stream appended with AppendTar gives the layer AppendTree gives
// for the tree it holds (ocib writes the tar again under its rules); bytes
// that are not a tar are refused naming the stream.
TEST_F(ImageTest, AppendTarGivesWhatAppendTreeGives) {
  Image in = MakeImage(store_, {Blob(store_, "a")});
  FileTree tree;
  ASSERT_TRUE(tree.AddFile("etc/app.conf", "mode=prod\n", 0644));
  ASSERT_TRUE(tree.AddDirectory("var/lib/app", 0755));
  LayerOptions plain;
  plain.compression = Compression::kNone;
  auto layer = BuildLayer(tree, *store_, plain);
  ASSERT_TRUE(layer.has_value()) << layer.error().ToString();
  auto tar_bytes = store_->ReadAll(layer->descriptor.digest);
  ASSERT_TRUE(tar_bytes.has_value());
  LayerOptions zstd;
  auto want = AppendTree(in, tree, store_, zstd, "files");
  ASSERT_TRUE(want.has_value()) << want.error().ToString();
  io::StringReader stream(*tar_bytes);
  auto got = AppendTar(in, stream, "layer.tar", store_, zstd, "files");
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(got->layers.back(), want->layers.back());
  EXPECT_EQ(got->diff_ids.back(), want->diff_ids.back());
  EXPECT_EQ(got->manifest.bytes, want->manifest.bytes);
  io::StringReader junk(std::string(2048, 'x'));
  EXPECT_THAT(AppendTar(in, junk, "junk.tar", store_, zstd, "files"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("junk.tar")));
}

}  // namespace
}  // namespace ocib
