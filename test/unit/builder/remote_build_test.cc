// BuildImage with registries (lib/builder/remote_build.cc): where a build
// writes (OutputOf), when a build needs a registry (UsesRegistry), the
// checks BuildWithRegistry makes before any request, and a build pushed to
// several repositories of the in-memory registry of
// test/registry/fake_registry.h.
#include "lib/builder/remote_build.h"

#include <cstdlib>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "ocib/image_builder.h"
#include "ocib/image_location.h"

#include "test/registry/fake_registry.h"
#include "test/testing/build_options.h"
#include "test/testing/test_util.h"

namespace ocib::build {
namespace {

using fake::FakeRegistry;

Result<Output> OutputOfText(const std::string& text) {
  auto where = ImageLocation::Parse(text);
  EXPECT_TRUE(where) << text << ": " << where.error().ToString();
  return OutputOf(*where);
}

// A layout is written by tag ("latest" when none is given); an oci-archive
// keeps its tag, a docker-archive's layout tag is "latest".
TEST(OutputOfTest, LayoutsAndArchives) {
  auto layout = OutputOfText("oci:/x/layout:v2");
  ASSERT_TRUE(layout) << layout.error().ToString();
  EXPECT_EQ(layout->path, "/x/layout");
  EXPECT_EQ(layout->tag, "v2");
  EXPECT_FALSE(layout->archive.has_value());
  auto untagged = OutputOfText("oci:/x/layout");
  ASSERT_TRUE(untagged);
  EXPECT_EQ(untagged->tag, "latest");

  auto oci = OutputOfText("oci-archive:/x/a.tar:v3");
  ASSERT_TRUE(oci) << oci.error().ToString();
  EXPECT_EQ(oci->path, "/x/a.tar");
  EXPECT_EQ(oci->tag, "v3");
  ASSERT_TRUE(oci->archive.has_value());
  EXPECT_EQ(oci->archive->kind, ArchiveLocation::Kind::kOci);

  auto docker = OutputOfText("docker-archive:/x/d.tar:team/app:1");
  ASSERT_TRUE(docker) << docker.error().ToString();
  EXPECT_EQ(docker->path, "/x/d.tar");
  EXPECT_EQ(docker->tag, "latest");
  ASSERT_TRUE(docker->archive.has_value());
  EXPECT_EQ(docker->archive->kind, ArchiveLocation::Kind::kDocker);
  EXPECT_FALSE(docker->archive->repo_tag.empty());
}

// A layout named by digest and a registry reference are not outputs.
TEST(OutputOfTest, DigestAndRegistryAreRefused) {
  auto by_digest = OutputOfText("oci:/x/layout@" + Digest::Sha256Of("m").ToString());
  ASSERT_FALSE(by_digest);
  EXPECT_EQ(by_digest.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(by_digest.error().ToString().find("a layout is written by tag"), std::string::npos)
      << by_digest.error().ToString();
  auto registry = OutputOfText("reg.test/app:1");
  ASSERT_FALSE(registry);
  EXPECT_EQ(registry.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(registry.error().ToString().find("is a registry reference"), std::string::npos)
      << registry.error().ToString();
}

// Tags or a registry base need a registry; the embedded, scratch and layout
// bases alone do not.
TEST(UsesRegistryTest, TagsOrARegistryBase) {
  BuildSpec spec;
  EXPECT_FALSE(UsesRegistry(spec));
  spec.base = ScratchBase{};
  EXPECT_FALSE(UsesRegistry(spec));
  spec.base = *ImageLocation::Parse("oci:/x/base:v1");
  EXPECT_FALSE(UsesRegistry(spec));
  spec.base = *ImageLocation::Parse("docker://reg.test/base:v1");
  EXPECT_TRUE(UsesRegistry(spec));
  spec.base = StaticBase{};
  spec.tags = {*Reference::Parse("reg.test/app:1")};
  EXPECT_TRUE(UsesRegistry(spec));
}

// Checked before any request: an output that is a registry reference, no
// output and no tags, and a registry base without platforms.
TEST(BuildWithRegistryTest, RefusedBeforeAnyRequest) {
  auto reg = std::make_shared<FakeRegistry>();
  BuildSpec spec;
  spec.registry = fake::Options(reg);
  spec.base = *ImageLocation::Parse("reg.test/base:v1");
  spec.output = *ImageLocation::Parse("reg.test/app:1");
  auto registry_output = BuildWithRegistry(spec);
  ASSERT_FALSE(registry_output);
  EXPECT_EQ(registry_output.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(registry_output.error().ToString().find("output"), std::string::npos);

  spec.output.reset();
  auto nowhere = BuildWithRegistry(spec);
  ASSERT_FALSE(nowhere);
  EXPECT_EQ(nowhere.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(nowhere.error().ToString().find("no output"), std::string::npos)
      << nowhere.error().ToString();

  spec.tags = {*Reference::Parse("reg.test/app:1")};
  spec.go_package = "./cmd/app";
  auto no_platforms = BuildWithRegistry(spec);
  ASSERT_FALSE(no_platforms);
  EXPECT_EQ(no_platforms.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(no_platforms.error().ToString().find("a Go package needs platforms"), std::string::npos)
      << no_platforms.error().ToString();
  EXPECT_TRUE(reg->log().empty());
}

// Moved from test/registry/referrers_push_test.cc: tags without an output
// build into a temporary layout, push once per repository in the order the
// repositories are named, and leave nothing behind; a bad tag is refused
// before anything is sent.
TEST(RemoteBuildTest, BuildWithTagsAndNoOutputPushesPerRepositoryAndCleansUp) {
  ::ocib::testing::ScopedTempDir tmp;
  const char* old_tmpdir = std::getenv("TMPDIR");
  std::string saved = old_tmpdir != nullptr ? old_tmpdir : "";
  ::setenv("TMPDIR", tmp.path().c_str(), 1);
  auto reg = std::make_shared<FakeRegistry>();
  ::ocib::testing::BuildOptions o;
  o.base = "scratch";
  o.binaries = {{"linux/amd64", "/bin/true"}, {"linux/arm64", "/bin/true"}};
  o.binary_unchecked = true;  // the host's /bin/true stands in for both
  o.tags = {"reg.test/b:1", "docker://reg.test/a:1", "reg.test/b:latest"};
  o.registry = fake::Options(reg);
  auto r = ::ocib::testing::BuildImage(o);
  if (old_tmpdir != nullptr) {
    ::setenv("TMPDIR", saved.c_str(), 1);
  } else {
    ::unsetenv("TMPDIR");
  }
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  const std::string d = r->descriptor.digest.ToString();
  EXPECT_EQ(r->pushed, (std::vector<std::string>{"reg.test/b:1@" + d, "reg.test/a:1@" + d,
                                                 "reg.test/b:latest@" + d}));
  EXPECT_TRUE(r->output_path.empty());
  EXPECT_EQ(reg->tags.at("b:1"), d);
  EXPECT_EQ(reg->tags.at("b:latest"), d);
  EXPECT_EQ(reg->tags.at("a:1"), d);
  // Repository b was pushed (both tags) before a.
  EXPECT_LT(reg->Find("PUT", "/v2/b/manifests/latest"), reg->Find("PUT", "/v2/a/manifests/1"));
  EXPECT_TRUE(std::filesystem::is_empty(tmp.path())) << "the temporary layout is left over";

  // A bad tag is refused before anything is built or sent.
  reg->ClearLog();
  o.tags = {"reg.test/ok:1", "reg.test/Bad:1"};
  auto bad = ::ocib::testing::BuildImage(o);
  ASSERT_FALSE(bad.has_value());
  EXPECT_EQ(bad.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(bad.error().ToString().find("reg.test/Bad:1"), std::string::npos);
  EXPECT_TRUE(reg->log().empty());
}

}  // namespace
}  // namespace ocib::build
