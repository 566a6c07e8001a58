// An image's filesystem written out (lib/ops/export.cc, ocib/unpack.h):
// UnpackImage into a directory, ExportImage as one tar and
// ExportImageToFile, from a two-platform layout built with BuildImage; the
// platform choice and its errors.
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "ocib/image_location.h"
#include "ocib/unpack.h"

#include "test/testing/build_options.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StringWriter;
using ::ocib::testing::WriteFileOrDie;

class ExportTest : public ::testing::Test {
 protected:
  void SetUp() override {
    WriteFileOrDie(tmp_.path() + "/amd64", "the amd64 program");
    WriteFileOrDie(tmp_.path() + "/arm64", "the arm64 program");
    ::ocib::testing::BuildOptions o;
    o.base = "scratch";
    o.binaries = {{"linux/amd64", tmp_.path() + "/amd64"}, {"linux/arm64", tmp_.path() + "/arm64"}};
    o.binary_unchecked = true;
    o.output = "oci:" + tmp_.path() + "/layout:v1";
    auto built = ::ocib::testing::BuildImage(o);
    ASSERT_TRUE(built) << built.error().ToString();
    built_ = *built;
    where_ = *ImageLocation::Parse("oci:" + tmp_.path() + "/layout:v1");
  }
  UnpackOptions For(const char* platform) {
    UnpackOptions u;
    u.platform = *Platform::Parse(platform);
    return u;
  }
  ScopedTempDir tmp_;
  BuildResult built_;
  ImageLocation where_;
};

// The chosen platform's files land in the directory, with that platform's
// manifest reported.
TEST_F(ExportTest, UnpackWritesThePlatformsFiles) {
  const std::string dir = tmp_.path() + "/root";
  auto report = UnpackImage(where_, dir, For("linux/arm64"));
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(ReadFileOrDie(dir + "/app"), "the arm64 program");
  EXPECT_GT(report->entries, 0);
  ASSERT_EQ(built_.images.size(), 2u);
  bool found = false;
  for (const auto& img : built_.images) {
    if (img.platform.architecture == "arm64") {
      found = true;
      EXPECT_EQ(report->manifest.digest, img.manifest.digest);
    }
  }
  EXPECT_TRUE(found);
}

// ExportImage and ExportImageToFile write the same tar, holding the chosen
// platform's program and not the other's.
TEST_F(ExportTest, ExportWritesOneTarAndToFileTheSameBytes) {
  StringWriter out;
  auto report = ExportImage(where_, out, For("linux/amd64"));
  ASSERT_TRUE(report) << report.error().ToString();
  EXPECT_EQ(out.bytes.size() % 512, 0u);
  EXPECT_NE(out.bytes.find("the amd64 program"), std::string::npos);
  EXPECT_EQ(out.bytes.find("the arm64 program"), std::string::npos);
  const std::string file = tmp_.path() + "/out/fs.tar";
  std::filesystem::create_directories(tmp_.path() + "/out");
  auto again = ExportImageToFile(where_, file, For("linux/amd64"));
  ASSERT_TRUE(again) << again.error().ToString();
  EXPECT_EQ(ReadFileOrDie(file), out.bytes);
  EXPECT_EQ(again->entries, report->entries);
  EXPECT_EQ(::ocib::testing::DirNames(tmp_.path() + "/out"), std::vector<std::string>{"fs.tar"});
}

// An index of several platforms needs one named: without it, or with one
// it lacks, the export fails and the target file is not created.
TEST_F(ExportTest, PlatformChoiceErrors) {
  StringWriter out;
  auto none = ExportImage(where_, out, {});
  ASSERT_FALSE(none);
  EXPECT_EQ(none.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(none.error().ToString().find("linux/arm64"), std::string::npos)
      << none.error().ToString();
  const std::string file = tmp_.path() + "/s390x.tar";
  auto missing = ExportImageToFile(where_, file, For("linux/s390x"));
  ASSERT_FALSE(missing);
  EXPECT_FALSE(std::filesystem::exists(file));
  EXPECT_EQ(::ocib::testing::DirNames(tmp_.path()),
            (std::vector<std::string>{"amd64", "arm64", "layout"}));
}

// A directory that is not empty is refused before anything is written.
TEST_F(ExportTest, UnpackRefusesANonEmptyDirectory) {
  const std::string dir = tmp_.path() + "/root";
  WriteFileOrDie(dir + "/keep", "x");
  auto report = UnpackImage(where_, dir, For("linux/amd64"));
  ASSERT_FALSE(report);
  EXPECT_EQ(report.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_EQ(::ocib::testing::DirNames(dir), std::vector<std::string>{"keep"});
}

}  // namespace
}  // namespace ocib
