// Docker archives and OCI archives read in place (lib/layout/image_source.h,
// lib/layout/docker_archive.h): round trips through ocib's writers, and
// archives that must be refused.
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

namespace ocib {
namespace {

using ::ocib::testing::BuildImage;
using ::ocib::testing::BuildOptions;

using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::AllOf;
using ::testing::HasSubstr;

class ArchiveTest : public ::testing::Test {
 protected:
  // Builds a layout "out:v1" with `platforms` (one binary each).
  void Build(const std::vector<std::string>& platforms, const std::string& output) {
    BuildOptions o;
    o.binary_unchecked = true;  // stand-in binaries
    for (const std::string& p : platforms) {
      const std::string bin = tmp_.path() + "/bin-" + std::to_string(o.binaries.size());
      WriteFileOrDie(bin, std::string(3000, static_cast<char>('a' + o.binaries.size())));
      o.binaries.emplace_back(p, bin);
    }
    o.output = output;
    o.sbom = "none";
    o.no_cache = true;
    o.source_date_epoch = 1700000000;
    ASSERT_THAT(BuildImage(o), IsOk());
  }
  Result<std::unique_ptr<ImageSource>> Open(const std::string& text) {
    auto where = ImageLocation::Parse(text);
    if (!where) return std::move(where).error();
    return OpenImageSource(*where);
  }
  ScopedTempDir tmp_;
};

// OpenRange of `d` in `source` against its whole bytes: the first and last
// byte, the whole blob, an empty range at the end; ranges outside refused.
void ExpectRanges(ImageSource& source, const Digest& d, const std::string& whole) {
  const auto size = static_cast<int64_t>(whole.size());
  ASSERT_GT(size, 1);
  auto read = [&](int64_t offset, int64_t length) -> Result<std::string> {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, source.OpenRange(d, offset, length));
    std::string out;
    char buf[4096];
    while (true) {
      OCIB_ASSIGN_OR_RETURN(size_t n, r->Read(buf, sizeof buf));
      if (n == 0) return out;
      out.append(buf, n);
    }
  };
  EXPECT_EQ(read(0, 1).value_or("?"), whole.substr(0, 1)) << d.ToString();
  EXPECT_EQ(read(0, size).value_or("?"), whole);
  EXPECT_EQ(read(size - 1, 1).value_or("?"), whole.substr(whole.size() - 1));
  EXPECT_EQ(read(size, 0).value_or("?"), "");
  EXPECT_THAT(read(-1, 1), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("outside")));
  EXPECT_THAT(read(0, -1), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("outside")));
  EXPECT_THAT(read(1, size), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("outside")));
  EXPECT_THAT(read(size + 1, 0), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("outside")));
}

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

TEST_F(ArchiveTest, OciArchiveReadInPlace) {
  Build({"linux/amd64", "linux/arm64"}, "oci-archive:" + tmp_.path() + "/img.tar:v2");
  auto docs = InspectLayout("oci-archive:" + tmp_.path() + "/img.tar:v2");
  ASSERT_THAT(docs, IsOk());
  ASSERT_EQ(docs->size(), 5u);  // index, two manifests, two configs
  auto index = Index::Parse(docs->front());
  ASSERT_THAT(index, IsOk());
  EXPECT_EQ(index->manifests.size(), 2u);
  auto report = ValidateLocation("oci-archive:" + tmp_.path() + "/img.tar");
  ASSERT_THAT(report, IsOk());
  EXPECT_THAT(report->problems, ::testing::IsEmpty());
  EXPECT_GT(report->layers, 0);
  EXPECT_THAT(InspectLayout("oci-archive:" + tmp_.path() + "/img.tar:nope"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("no image tagged \"nope\"")));
  // Ranges of a blob read in place, at their bounds.
  auto archive = Open("oci-archive:" + tmp_.path() + "/img.tar:v2");
  ASSERT_THAT(archive, IsOk());
  const Descriptor& first = index->manifests[0];
  auto bytes = (*archive)->ReadAll(first.digest);
  ASSERT_THAT(bytes, IsOk());
  ExpectRanges(**archive, first.digest, *bytes);
}

// Writes a tar of (path, bytes) entries with ocib's tar writer.
void WriteTar(const std::string& file, const std::vector<std::pair<std::string, std::string>>& e) {
  std::string bytes;
  class Sink : public Writer {
   public:
    explicit Sink(std::string& s) : s_(s) {}
    Status Write(const void* d, size_t n) override {
      s_.append(static_cast<const char*>(d), n);
      return {};
    }
    Status Close() override { return {}; }

   private:
    std::string& s_;
  } sink(bytes);
  tar::TarWriter w(&sink);
  for (const auto& [path, data] : e) {
    tar::Header h;
    h.path = path;
    h.size = static_cast<int64_t>(data.size());
    ASSERT_THAT(w.WriteHeader(h), IsOk());
    ASSERT_THAT(w.WriteData(data.data(), data.size()), IsOk());
  }
  ASSERT_THAT(w.Finish(), IsOk());
  WriteFileOrDie(file, bytes);
}

TEST_F(ArchiveTest, RefusesBadArchives) {
  const std::string t = tmp_.path();
  WriteTar(t + "/escape.tar", {{"../manifest.json", "[]"}});
  EXPECT_THAT(Open("docker-archive:" + t + "/escape.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("leaves the archive")));
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
  EXPECT_THAT(Open("oci-archive:" + t + "/missing.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not an OCI archive")));
  WriteFileOrDie(t + "/garbage.tar", std::string(2000, 'x'));
  EXPECT_THAT(Open("docker-archive:" + t + "/garbage.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("tar")));
  ASSERT_EQ(::symlink((t + "/missing.tar").c_str(), (t + "/link.tar").c_str()), 0);
  EXPECT_THAT(Open("docker-archive:" + t + "/link.tar"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("is a symlink")));
  EXPECT_THAT(Open("docker-archive:" + t),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not a regular file")));
  EXPECT_THAT(Open("docker-archive:" + t + "/absent.tar"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("does not exist")));
}

TEST_F(ArchiveTest, IndexTarOffsetsPointAtTheData) {
  const std::string file = tmp_.path() + "/x.tar";
  const std::string long_name = std::string(150, 'n') + "/" + std::string(120, 'm');
  WriteTar(file, {{"./a", "hello"}, {long_name, std::string(1000, 'z')}, {"b", ""}});
  int fd = ::open(file.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  auto members = archive::IndexTar(fd, file);
  ::close(fd);
  ASSERT_THAT(members, IsOk());
  ASSERT_EQ(members->size(), 3u);
  const std::string bytes = ReadFileOrDie(file);
  auto at = [&](const std::string& name) {
    const archive::Member& m = members->at(name);
    return bytes.substr(static_cast<size_t>(m.offset), static_cast<size_t>(m.size));
  };
  EXPECT_EQ(at("a"), "hello");
  EXPECT_EQ(at(long_name), std::string(1000, 'z'));
  EXPECT_EQ(members->at("b").size, 0);
}

}  // namespace
}  // namespace ocib
