// WithSboms (ocib/image.h): an SBOM per image from the Go binary its real
// (zstd tar) layers hold, the entrypoint's binary chosen among several,
// whiteouts applied, hard links followed, notes for images without one, the
// input untouched and the same bytes twice.
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocib/image.h"
#include "ocib/image_config.h"
#include "ocib/memory_store.h"

#include "test/testing/elf_header.h"

namespace ocib {
namespace {

using ::ocib::testing::MakeGoElf;

std::string GoBinary(const std::string& module) {
  return MakeGoElf(true, false, true, "go1.22.1",
                   "path\t" + module + "\nmod\t" + module + "\t(devel)\t\n");
}

// An image with no layers, entrypoint `entrypoint`, created at 2021-06-01.
Image EmptyImage(const std::shared_ptr<MemoryBlobStore>& store,
                 const std::vector<std::string>& entrypoint) {
  ImageConfig cfg;
  cfg.created = "2021-06-01T00:00:00Z";
  cfg.os = "linux";
  cfg.architecture = "arm64";
  if (!entrypoint.empty()) cfg.config.entrypoint = entrypoint;
  Manifest m;
  m.media_type = "application/vnd.oci.image.manifest.v1+json";
  Image image;
  image.config.bytes = cfg.Serialize();
  image.config.descriptor =
      DescribeBytes("application/vnd.oci.image.config.v1+json", image.config.bytes);
  m.config = image.config.descriptor;
  image.manifest.bytes = m.Serialize();
  image.manifest.descriptor = DescribeBytes(m.media_type, image.manifest.bytes);
  image.platform = cfg.platform();
  image.blobs.store = store;
  return image;
}

Image WithTree(const Image& image, const FileTree& tree,
               const std::shared_ptr<MemoryBlobStore>& store) {
  auto out = AppendTree(image, tree, store, LayerOptions{}, "test layer");
  EXPECT_TRUE(out.has_value()) << out.error().ToString();
  return *out;
}

ImageIndex One(const Image& image) {
  ImageIndex index;
  index.root = image.manifest;
  index.images = {image};
  return index;
}

nlohmann::json SbomOf(const Attachment& a) {
  EXPECT_EQ(a.blobs.size(), 2u);
  auto bytes = a.store->ReadAll(a.blobs.back().digest);
  EXPECT_TRUE(bytes.has_value());
  return nlohmann::json::parse(*bytes);
}

class ImageSbomsTest : public ::testing::Test {
 protected:
  std::shared_ptr<MemoryBlobStore> store_ = std::make_shared<MemoryBlobStore>();
};

TEST_F(ImageSbomsTest, DescribesTheEntrypointsBinaryAmongSeveral) {
  FileTree tree;
  ASSERT_TRUE(tree.AddFile("usr/bin/helper", GoBinary("example.com/helper"), 0755).has_value());
  ASSERT_TRUE(tree.AddFile("app", GoBinary("example.com/app"), 0755).has_value());
  ASSERT_TRUE(tree.AddFile("etc/motd", "hello\n", 0644).has_value());
  Image image = WithTree(EmptyImage(store_, {"/app", "serve"}), tree, store_);
  const ImageIndex in = One(image);
  std::vector<std::string> notes;
  auto out = WithSboms(in, SbomFormat::kSpdx, &notes);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_TRUE(notes.empty());
  EXPECT_TRUE(in.attachments.empty());
  ASSERT_EQ(out->attachments.size(), 1u);
  const Attachment& a = out->attachments[0];
  auto m = Manifest::Parse(a.manifest.bytes);
  ASSERT_TRUE(m.has_value());
  ASSERT_TRUE(m->subject.has_value());
  EXPECT_EQ(m->subject->digest, image.manifest.descriptor.digest);
  EXPECT_EQ(m->artifact_type, "application/spdx+json");
  EXPECT_EQ(a.manifest.descriptor.digest, Digest::Sha256Of(a.manifest.bytes));
  EXPECT_EQ(a.manifest.descriptor.artifact_type, "application/spdx+json");
  nlohmann::json doc = SbomOf(a);
  EXPECT_EQ(doc["creationInfo"]["created"], "2021-06-01T00:00:00Z");
  EXPECT_NE(doc.dump().find("example.com/app"), std::string::npos);
  EXPECT_EQ(doc.dump().find("example.com/helper"), std::string::npos);
  // The same input gives the same artifact.
  auto again = WithSboms(in, SbomFormat::kSpdx, nullptr);
  ASSERT_TRUE(again.has_value());
  ASSERT_EQ(again->attachments.size(), 1u);
  EXPECT_EQ(again->attachments[0].manifest.bytes, a.manifest.bytes);
}

TEST_F(ImageSbomsTest, TheOnlyGoBinaryWhenTheEntrypointIsNotOne) {
  FileTree tree;
  ASSERT_TRUE(tree.AddFile("bin/sh", "#!/bin/sh\n", 0755).has_value());
  ASSERT_TRUE(tree.AddFile("srv/app", GoBinary("example.com/only"), 0755).has_value());
  Image image = WithTree(EmptyImage(store_, {"/bin/sh"}), tree, store_);
  auto out = WithSboms(One(image), SbomFormat::kCycloneDx, nullptr);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  ASSERT_EQ(out->attachments.size(), 1u);
  EXPECT_EQ(out->attachments[0].manifest.descriptor.artifact_type,
            "application/vnd.cyclonedx+json");
  nlohmann::json doc = SbomOf(out->attachments[0]);
  EXPECT_NE(doc.dump().find("example.com/only"), std::string::npos);
  EXPECT_NE(doc.dump().find("/srv/app"), std::string::npos);
}

TEST_F(ImageSbomsTest, AWhitedOutBinaryIsGoneAndAHardLinkIsFollowed) {
  FileTree lower;
  ASSERT_TRUE(lower.AddFile("old", GoBinary("example.com/old"), 0755).has_value());
  ASSERT_TRUE(lower.AddFile("real", GoBinary("example.com/real"), 0755).has_value());
  Image image = WithTree(EmptyImage(store_, {"/old"}), lower, store_);
  FileTree upper;
  ASSERT_TRUE(upper.AddFile(".wh.old", "", 0644).has_value());
  image = WithTree(image, upper, store_);
  auto out = WithSboms(One(image), SbomFormat::kSpdx, nullptr);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  ASSERT_EQ(out->attachments.size(), 1u);
  EXPECT_NE(SbomOf(out->attachments[0]).dump().find("example.com/real"), std::string::npos);
}

TEST_F(ImageSbomsTest, NoGoBinaryOrNoChoiceIsANoteNotAnError) {
  FileTree none;
  ASSERT_TRUE(none.AddFile("etc/motd", "hello\n", 0644).has_value());
  ASSERT_TRUE(none.AddFile("bin/tool", ::ocib::testing::ElfFor("arm64"), 0755).has_value());
  FileTree two;
  ASSERT_TRUE(two.AddFile("a", GoBinary("example.com/a"), 0755).has_value());
  ASSERT_TRUE(two.AddFile("b", GoBinary("example.com/b"), 0755).has_value());
  ImageIndex index;
  index.images = {WithTree(EmptyImage(store_, {}), none, store_),
                  WithTree(EmptyImage(store_, {"/c"}), two, store_)};
  std::vector<std::string> notes;
  auto out = WithSboms(index, SbomFormat::kSpdx, &notes);
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  EXPECT_TRUE(out->attachments.empty());
  ASSERT_EQ(notes.size(), 2u);
  EXPECT_NE(notes[0].find("no Go binary"), std::string::npos) << notes[0];
  EXPECT_NE(notes[1].find("2 Go binaries (/a, /b)"), std::string::npos) << notes[1];
}

TEST_F(ImageSbomsTest, ACorruptLayerIsAnError) {
  FileTree tree;
  ASSERT_TRUE(tree.AddFile("app", GoBinary("example.com/app"), 0755).has_value());
  Image image = WithTree(EmptyImage(store_, {"/app"}), tree, store_);
  // The layer's descriptor names bytes the store does not hold.
  image.layers[0].digest = Digest::Sha256Of("something else");
  auto out = WithSboms(One(image), SbomFormat::kSpdx, nullptr);
  ASSERT_FALSE(out.has_value());
  EXPECT_NE(out.error().ToString().find("making the SBOM of linux/arm64"), std::string::npos)
      << out.error().ToString();
}

}  // namespace
}  // namespace ocib
