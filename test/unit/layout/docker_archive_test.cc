// Docker archives (lib/layout/docker_archive.cc): written by ocib and read
// in place, compressed layers, one platform of several, and docker archives
// that must be refused.
#include "lib/layout/docker_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "ocib/image_builder.h"
#include "ocib/image_config.h"
#include "ocib/inspect.h"
#include "ocib/layer.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/validate.h"

#include "lib/archive/tar_writer.h"
#include "lib/io/streams.h"
#include "lib/layout/image_source.h"
#include "test/testing/build_options.h"
#include "test/testing/test_util.h"
#include "test/unit/layout/archive_fixtures.h"

namespace ocib {
namespace {

using ::ocib::testing::ArchiveTest;
using ::ocib::testing::ExpectRanges;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::ocib::testing::WriteTar;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST_F(ArchiveTest, DockerArchiveRoundTrip) {
  Build({"linux/amd64"}, "oci:" + tmp_.path() + "/out:v1");
  auto layout = Open("oci:" + tmp_.path() + "/out:v1");
  ASSERT_THAT(layout, IsOk());
  auto root = ResolveImage(**layout, *ImageLocation::Parse("oci:" + tmp_.path() + "/out:v1"));
  ASSERT_THAT(root, IsOk());
  const std::string file = tmp_.path() + "/img.tar";
  ASSERT_THAT(WriteDockerArchive(**layout, *root, std::nullopt, {"docker.io/library/app:1"}, file),
              IsOk());
  // Reproducible: a second write gives the same bytes.
  const std::string first = ReadFileOrDie(file);
  ASSERT_THAT(WriteDockerArchive(**layout, *root, std::nullopt, {"docker.io/library/app:1"}, file),
              IsOk());
  EXPECT_EQ(ReadFileOrDie(file), first);

  auto archive = Open("docker-archive:" + file);
  ASSERT_THAT(archive, IsOk());
  auto index = (*archive)->ReadIndex();
  ASSERT_THAT(index, IsOk());
  ASSERT_EQ(index->manifests.size(), 1u);
  EXPECT_EQ(index->manifests[0].annotations.at(kRefNameAnnotation), "docker.io/library/app:1");
  // The same config, and layers whose digests are the config's diff_ids.
  auto image = ResolveImage(**archive, *ImageLocation::Parse("docker-archive:" + file + ":app:1"));
  ASSERT_THAT(image, IsOk());
  auto m = Manifest::Parse(*(*archive)->ReadAll(image->digest));
  ASSERT_THAT(m, IsOk());
  auto orig = Manifest::Parse(*(*layout)->ReadAll(root->digest));
  ASSERT_THAT(orig, IsOk());
  EXPECT_EQ(m->config.digest, orig->config.digest);
  auto config = ImageConfig::Parse(*(*archive)->ReadAll(m->config.digest));
  ASSERT_THAT(config, IsOk());
  ASSERT_EQ(m->layers.size(), config->diff_ids.size());
  for (size_t i = 0; i < m->layers.size(); ++i) {
    EXPECT_EQ(m->layers[i].digest, config->diff_ids[i]);
    EXPECT_EQ(m->layers[i].media_type, media_type::kLayerTar);
    auto bytes = (*archive)->ReadAll(m->layers[i].digest, size_t{64} << 20);
    ASSERT_THAT(bytes, IsOk());  // ReadAll checks the digest
    // Ranges of a layer and of a document, at their bounds.
    ExpectRanges(**archive, m->layers[i].digest, *bytes);
  }
  ExpectRanges(**archive, m->config.digest, *(*archive)->ReadAll(m->config.digest));
  auto report = ValidateLocation("docker-archive:" + file);
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->problems, ::testing::IsEmpty());
  EXPECT_EQ(report->layers, static_cast<int>(m->layers.size()));

  // A write that fails part way (a layer blob gone from the layout) leaves
  // the archive as it was and no temporary file beside it.
  const std::string hex = orig->layers.back().digest.encoded();
  ASSERT_EQ(::unlink((tmp_.path() + "/out/blobs/sha256/" + hex).c_str()), 0);
  EXPECT_THAT(WriteDockerArchive(**layout, *root, std::nullopt, {"other:2"}, file),
              StatusIs(ErrorCode::kNotFound, HasSubstr(hex)));
  EXPECT_EQ(ReadFileOrDie(file), first);
  for (const auto& e : std::filesystem::directory_iterator(tmp_.path())) {
    EXPECT_EQ(e.path().string().find(".tmp-"), std::string::npos) << e.path();
  }
}

// A docker archive may hold compressed layers (not `docker save`, but other
// tools): a gzip or zstd member is read as a layer of that type, its digest
// the member's bytes, its diff_id the config's.
TEST_F(ArchiveTest, CompressedLayersOfADockerArchive) {
  for (Compression c : {Compression::kGzip, Compression::kZstd}) {
    const std::string dir = tmp_.path() + "/save-" + std::string(CompressionName(c));
    auto store = OciLayout::OpenOrCreate(dir + "-store");
    ASSERT_THAT(store, IsOk());
    FileTree tree;
    ASSERT_THAT(tree.AddFile("etc/conf", "x=1\n", 0644), IsOk());
    LayerOptions lo;
    lo.compression = c;
    auto layer = BuildLayer(tree, **store, lo);
    ASSERT_THAT(layer, IsOk());
    WriteFileOrDie(dir + "/layer", *(*store)->ReadAll(layer->descriptor.digest));
    const std::string config =
        R"({"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[")" +
        layer->diff_id.ToString() + R"("]}})";
    WriteFileOrDie(dir + "/config.json", config);
    WriteFileOrDie(dir + "/manifest.json",
                   R"([{"Config":"config.json","RepoTags":["app:1"],"Layers":["layer"]}])");
    const std::string file = dir + ".tar";
    const std::string cmd = "tar -C " + dir + " -cf " + file + " manifest.json config.json layer";
    ASSERT_EQ(std::system(cmd.c_str()), 0);  // NOLINT(cert-env33-c)
    auto archive = Open("docker-archive:" + file);
    ASSERT_THAT(archive, IsOk());
    auto image = ResolveImage(**archive, *ImageLocation::Parse("docker-archive:" + file));
    ASSERT_THAT(image, IsOk());
    auto m = Manifest::Parse(*(*archive)->ReadAll(image->digest));
    ASSERT_THAT(m, IsOk());
    ASSERT_EQ(m->layers.size(), 1u);
    EXPECT_EQ(m->layers[0].media_type, layer->descriptor.media_type) << CompressionName(c);
    EXPECT_EQ(m->layers[0].digest, layer->descriptor.digest) << CompressionName(c);
    EXPECT_EQ(m->layers[0].size, layer->descriptor.size) << CompressionName(c);
    auto report = ValidateLocation("docker-archive:" + file);
    ASSERT_THAT(report, IsOk());
    EXPECT_THAT(report->problems, ::testing::IsEmpty()) << CompressionName(c);
  }
}

TEST_F(ArchiveTest, MultiPlatformNeedsAPlatform) {
  Build({"linux/amd64", "linux/arm64"}, "oci:" + tmp_.path() + "/out:v1");
  auto layout = Open("oci:" + tmp_.path() + "/out");
  ASSERT_THAT(layout, IsOk());
  auto root = ResolveImage(**layout, *ImageLocation::Parse("oci:" + tmp_.path() + "/out"));
  ASSERT_THAT(root, IsOk());
  const std::string file = tmp_.path() + "/img.tar";
  EXPECT_THAT(WriteDockerArchive(**layout, *root, std::nullopt, {}, file),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("linux/amd64, linux/arm64")));
  EXPECT_NE(::access(file.c_str(), F_OK), 0);
  ASSERT_THAT(WriteDockerArchive(**layout, *root, *Platform::Parse("linux/arm64"), {}, file),
              IsOk());
  auto archive = Open("docker-archive:" + file);
  ASSERT_THAT(archive, IsOk());
  auto index = (*archive)->ReadIndex();
  ASSERT_THAT(index, IsOk());
  ASSERT_EQ(index->manifests.size(), 1u);
  EXPECT_TRUE(index->manifests[0].annotations.empty());
  EXPECT_EQ(index->manifests[0].platform->architecture, "arm64");
}

// A docker archive without manifest.json, with one that is not a JSON
// array, or naming a member it lacks, is refused.
TEST_F(ArchiveTest, RefusesBadDockerArchives) {
  const std::string t = tmp_.path();
  WriteTar(t + "/nomanifest.tar", {{"x", "y"}});
  EXPECT_THAT(Open("docker-archive:" + t + "/nomanifest.tar"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("has no manifest.json")));
  WriteTar(t + "/badjson.tar", {{"manifest.json", "{"}});
  EXPECT_THAT(Open("docker-archive:" + t + "/badjson.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not a non-empty JSON array")));
  WriteTar(t + "/missing.tar",
           {{"manifest.json", R"([{"Config":"c.json","RepoTags":[],"Layers":[]}])"}});
  EXPECT_THAT(Open("docker-archive:" + t + "/missing.tar"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("has no c.json")));
}

}  // namespace
}  // namespace ocib
