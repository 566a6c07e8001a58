// The image model's operations (ocib/image.h) on images held in a
// MemoryBlobStore: inputs untouched, documents edited and kept canonical,
// appended layers and new bases recorded with their stores, ReplaceBase's
// prefix check, platform selection and Reindex.
#include "ocib/image.h"

#include <gtest/gtest.h>

#include "ocib/image_config.h"
#include "ocib/image_location.h"
#include "ocib/media_type.h"
#include "ocib/memory_store.h"

#include "test/registry/fake_registry.h"

namespace ocib {
namespace {

// A layer blob in `store` holding `text` (not a real tar: the operations
// never read layers).
NewLayer Blob(const std::shared_ptr<MemoryBlobStore>& store, const std::string& text) {
  auto d = store->Put("application/vnd.oci.image.layer.v1.tar", text);
  EXPECT_TRUE(d.has_value());
  return {*d, Digest::Sha256Of("diff:" + text), store};
}

// An image of `layers` built as `build` writes them.
Image MakeImage(const std::shared_ptr<MemoryBlobStore>& store, const std::vector<NewLayer>& layers,
                const std::string& arch = "amd64") {
  ImageConfig cfg;
  cfg.os = "linux";
  cfg.architecture = arch;
  cfg.config.env = {"PATH=/bin"};
  Manifest m;
  m.media_type = "application/vnd.oci.image.manifest.v1+json";
  for (const NewLayer& l : layers) {
    cfg.diff_ids.push_back(l.diff_id);
    cfg.history.push_back(
        {"1970-01-01T00:00:00Z", "layer " + l.blob.digest.ToString(), "", "", false});
    m.layers.push_back(l.blob);
  }
  Image image;
  image.config.bytes = cfg.Serialize();
  image.config.descriptor =
      DescribeBytes("application/vnd.oci.image.config.v1+json", image.config.bytes);
  m.config = image.config.descriptor;
  image.manifest.bytes = m.Serialize();
  image.manifest.descriptor = DescribeBytes(m.media_type, image.manifest.bytes);
  image.layers = m.layers;
  image.diff_ids = cfg.diff_ids;
  image.platform = cfg.platform();
  image.blobs.store = store;
  return image;
}

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

TEST_F(ImageTest, ReplaceBaseGivesWhatBuildingOnTheNewBaseGives) {
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
TEST_F(ImageTest, ReplaceBaseOntoABaseWithoutHistory) {
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

ImageIndex TwoPlatforms(const std::shared_ptr<MemoryBlobStore>& store) {
  ImageIndex index;
  index.is_index = true;
  index.images = {MakeImage(store, {Blob(store, "x")}, "amd64"),
                  MakeImage(store, {Blob(store, "y")}, "arm64")};
  Index doc;
  doc.media_type = "application/vnd.oci.image.index.v1+json";
  for (Image& i : index.images) {
    i.manifest.descriptor.platform = i.platform;
    doc.manifests.push_back(i.manifest.descriptor);
  }
  index.entries = {0, 1};
  index.root.bytes = doc.Serialize();
  index.root.descriptor = DescribeBytes(doc.media_type, index.root.bytes);
  return index;
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

// A config read from a registry is bounded at 4 MiB: one of exactly 4 MiB
// is read, one byte more is refused by its size before any byte is read.
TEST(ReadImageTest, ARegistryConfigIsReadUpToItsBoundExactly) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  const size_t bound = size_t{4} << 20;
  for (size_t size : {bound, bound + 1}) {
    std::string cfg =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}})";
    cfg.append(size - cfg.size(), ' ');  // JSON allows trailing white space
    Descriptor c = DescribeBytes(media_type::kImageConfig, cfg);
    reg->blobs["app@" + c.digest.ToString()] = cfg;
    Manifest m;
    m.media_type = std::string(media_type::kImageManifest);
    m.config = c;
    const std::string bytes = m.Serialize();
    Descriptor md = DescribeBytes(media_type::kImageManifest, bytes);
    reg->manifests["app@" + md.digest.ToString()] = {std::string(media_type::kImageManifest),
                                                     bytes};
    const std::string tag = std::to_string(size);
    reg->tags["app:" + tag] = md.digest.ToString();
    auto r = ReadImage(*ImageLocation::Parse("reg.test/app:" + tag), fake::Options(reg));
    if (size == bound) {
      ASSERT_TRUE(r.has_value()) << r.error().ToString();
      ASSERT_EQ(r->images.size(), 1u);
      EXPECT_EQ(r->images[0].config.bytes.size(), bound);
    } else {
      ASSERT_FALSE(r.has_value());
      EXPECT_NE(r.error().ToString().find("larger than 4 MiB"), std::string::npos)
          << r.error().ToString();
    }
  }
}

// An index entry that is not a platform image (an attestation manifest of
// platform unknown/unknown, as BuildKit writes) is kept apart in `others`:
// not an image to edit, and named when a new index leaves it out.
TEST(ReadImageTest, EntriesThatAreNotPlatformImagesAreKeptApart) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  Index index;
  index.media_type = std::string(media_type::kImageIndex);
  for (const char* arch : {"amd64", "unknown"}) {
    const std::string cfg = std::string(R"({"architecture":")") + arch + R"(","os":")" +
                            (std::string(arch) == "unknown" ? "unknown" : "linux") +
                            R"(","rootfs":{"type":"layers","diff_ids":[]}})";
    Descriptor c = DescribeBytes(media_type::kImageConfig, cfg);
    reg->blobs["app@" + c.digest.ToString()] = cfg;
    Manifest m;
    m.media_type = std::string(media_type::kImageManifest);
    m.config = c;
    const std::string bytes = m.Serialize();
    Descriptor md = DescribeBytes(media_type::kImageManifest, bytes);
    reg->manifests["app@" + md.digest.ToString()] = {std::string(media_type::kImageManifest),
                                                     bytes};
    md.platform = std::string(arch) == "unknown" ? Platform{"unknown", "unknown", "", "", {}}
                                                 : Platform{"linux", "amd64", "", "", {}};
    index.manifests.push_back(md);
  }
  const std::string bytes = index.Serialize();
  reg->manifests["app@" + Digest::Sha256Of(bytes).ToString()] = {
      std::string(media_type::kImageIndex), bytes};
  reg->tags["app:v1"] = Digest::Sha256Of(bytes).ToString();
  auto r = ReadImage(*ImageLocation::Parse("reg.test/app:v1"), fake::Options(reg));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  ASSERT_EQ(r->images.size(), 1u);
  EXPECT_EQ(r->images[0].platform.architecture, "amd64");
  ASSERT_EQ(r->others.size(), 1u);
  EXPECT_EQ(r->others[0].digest, index.manifests[1].digest);
}

}  // namespace
}  // namespace ocib
