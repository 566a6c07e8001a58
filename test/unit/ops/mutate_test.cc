// Mutate (ocib/mutate.h) against the in-memory registry of
// test/registry/fake_registry.h and OCI layouts: configs changed and other
// fields kept, layers untouched and never downloaded (mounted within one
// registry), the same digest twice and one HEAD when the result is there,
// --platform selection and a platform not in the index, bad input before
// any request, layout to layout.
#include "ocib/mutate.h"

#include <gtest/gtest.h>

#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/oci_layout.h"
#include "ocib/push.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using fake::Dest;
using fake::FakeRegistry;
using fake::MakeImage;
using fake::Options;

ImageLocation Loc(const std::string& text) {
  auto l = ImageLocation::Parse(text);
  EXPECT_TRUE(l.has_value()) << text;
  return *l;
}

MutateOptions Changes() {
  MutateOptions m;
  m.cmd = std::vector<std::string>{"serve", "--port=8080"};
  m.env = {"MODE=prod"};
  m.labels = {{"tier", "web"}};
  m.annotations = {{"org.example.note", "mutated"}};
  m.user = "0:0";
  m.expose = {"8080"};
  return m;
}

class MutateTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = std::make_shared<FakeRegistry>();
    img_ = MakeImage(layout_dir());
    auto r = Push(layout_dir(), "v1", Dest("reg.test/app:v1"), Options(reg_));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
  }
  std::string layout_dir() const { return dir_.path() + "/src"; }
  std::string Manifest(const std::string& repo, const std::string& digest) {
    return reg_->manifests[repo + "@" + digest].bytes;
  }
  int Count(const std::string& method, const std::string& prefix) {
    int n = 0;
    for (const auto& r : reg_->log()) n += (r.method == method && r.path.rfind(prefix, 0) == 0);
    return n;
  }

  ocib::testing::ScopedTempDir dir_;
  std::shared_ptr<FakeRegistry> reg_;
  fake::TestImage img_;
};

TEST_F(MutateTest, RegistryToRegistryChangesConfigsNotLayers) {
  reg_->mounts = true;
  reg_->ClearLog();
  auto r = Mutate(Loc("reg.test/app:v1"), Loc("reg.test/other:v1"), Changes(), Options(reg_));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(r->unchanged);
  EXPECT_EQ(r->written, std::vector<std::string>{"reg.test/other:v1@" + r->root.digest.ToString()});
  EXPECT_EQ(reg_->tags["other:v1"], r->root.digest.ToString());
  auto index = Index::Parse(Manifest("other", r->root.digest.ToString()));
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->manifests.size(), 2u);
  EXPECT_EQ(index->annotations.at("org.example.note"), "mutated");
  for (size_t i = 0; i < 2; ++i) {
    auto m = Manifest::Parse(Manifest("other", index->manifests[i].digest.ToString()));
    ASSERT_TRUE(m.has_value());
    auto old = Manifest::Parse(Manifest("app", img_.manifests[i].digest.ToString()));
    ASSERT_TRUE(old.has_value());
    EXPECT_EQ(m->layers, old->layers);
    EXPECT_NE(m->config.digest, old->config.digest);
    auto cfg = ImageConfig::Parse(reg_->blobs["other@" + m->config.digest.ToString()]);
    ASSERT_TRUE(cfg.has_value());
    EXPECT_EQ(cfg->architecture, index->manifests[i].platform->architecture);
    EXPECT_EQ(*cfg->config.cmd, (std::vector<std::string>{"serve", "--port=8080"}));
    EXPECT_EQ(cfg->config.env, std::vector<std::string>{"MODE=prod"});
    EXPECT_EQ(cfg->config.labels.at("tier"), "web");
    EXPECT_EQ(cfg->config.user, "0:0");
    EXPECT_EQ(cfg->config.exposed_ports, std::set<std::string>{"8080/tcp"});
    auto old_cfg = ImageConfig::Parse(reg_->blobs["app@" + old->config.digest.ToString()]);
    ASSERT_TRUE(old_cfg.has_value());
    EXPECT_EQ(cfg->diff_ids, old_cfg->diff_ids);  // kept as the source had it
  }
  // No layer was downloaded: mounted from app into other.
  EXPECT_EQ(Count("GET", "/v2/app/blobs/"), 2);  // the two configs
  // ... and every layer is in the destination repository.
  for (const Descriptor& md : img_.manifests) {
    auto old = Manifest::Parse(Manifest("app", md.digest.ToString()));
    ASSERT_TRUE(old.has_value());
    for (const Descriptor& l : old->layers) {
      EXPECT_EQ(reg_->blobs.count("other@" + l.digest.ToString()), 1u) << l.digest.ToString();
    }
  }
  // The referrers of the source are reported, not carried.
  bool noted = false;
  for (const std::string& n : r->notes) noted = noted || n.find("not carried") != std::string::npos;
  EXPECT_TRUE(noted);
}

// A new destination tag is asked about by the push's own check only: the
// session's first HEAD (which doubles as the registry's ping; its 404 is not
// trusted before any challenge) and the check (it was 4 when the writer
// checked the tag with a session of its own first).
TEST_F(MutateTest, ANewTagIsHeadedByThePushAlone) {
  reg_->ClearLog();
  auto r = Mutate(Loc("reg.test/app:v1"), Loc("reg.test/other:v9"), Changes(), Options(reg_));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_FALSE(r->unchanged);
  int heads = 0;
  for (const auto& req : reg_->log()) {
    heads += req.method == "HEAD" && req.path == "/v2/other/manifests/v9" ? 1 : 0;
  }
  EXPECT_EQ(heads, 2);
}

TEST_F(MutateTest, SameInputsSameDigestAndOneHeadWhenPresent) {
  auto first = Mutate(Loc("reg.test/app:v1"), Loc("reg.test/other:v1"), Changes(), Options(reg_));
  ASSERT_TRUE(first.has_value()) << first.error().ToString();
  reg_->ClearLog();
  auto second = Mutate(Loc("reg.test/app:v1"), Loc("reg.test/other:v1"), Changes(), Options(reg_));
  ASSERT_TRUE(second.has_value()) << second.error().ToString();
  EXPECT_EQ(second->root.digest, first->root.digest);
  EXPECT_TRUE(second->unchanged);
  int to_destination = 0;
  for (const auto& req : reg_->log()) {
    if (req.path.rfind("/v2/other/", 0) == 0) {
      ++to_destination;
      EXPECT_EQ(req.method, "HEAD");
    }
  }
  EXPECT_EQ(to_destination, 1);
}

TEST_F(MutateTest, PlatformSelectionAndMissingPlatform) {
  MutateOptions m = Changes();
  m.platforms = {*Platform::Parse("linux/arm64")};
  auto r = Mutate(Loc("reg.test/app:v1"), Loc("reg.test/app:arm"), m, Options(reg_));
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  auto index = Index::Parse(Manifest("app", r->root.digest.ToString()));
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->manifests.size(), 1u);
  EXPECT_EQ(index->manifests[0].platform->architecture, "arm64");

  auto tags = reg_->tags;
  m.platforms = {*Platform::Parse("linux/s390x")};
  auto missing = Mutate(Loc("reg.test/app:v1"), Loc("reg.test/app:s390x"), m, Options(reg_));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
  EXPECT_NE(missing.error().message().find("linux/amd64"), std::string::npos)
      << missing.error().ToString();
  EXPECT_EQ(reg_->tags, tags);
}

TEST_F(MutateTest, BadInputSendsNothing) {
  reg_->ClearLog();
  MutateOptions m;
  m.env = {"NOEQUALS"};
  auto env = Mutate(Loc("reg.test/app:v1"), Loc("reg.test/app:x"), m, Options(reg_));
  ASSERT_FALSE(env.has_value());
  EXPECT_EQ(env.error().code(), ErrorCode::kInvalidArgument);
  m.env.clear();
  m.expose = {"80/sctp"};
  auto port = Mutate(Loc("reg.test/app:v1"), Loc("reg.test/app:x"), m, Options(reg_));
  ASSERT_FALSE(port.has_value());
  EXPECT_EQ(port.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(reg_->log().empty());
  auto missing = Mutate(Loc("reg.test/app:nope"), Loc("reg.test/app:x"), {}, Options(reg_));
  ASSERT_FALSE(missing.has_value());
  EXPECT_EQ(missing.error().code(), ErrorCode::kNotFound);
}

TEST_F(MutateTest, LayoutToLayoutIsValid) {
  std::string out = dir_.path() + "/out";
  auto r = Mutate(Loc("oci:" + layout_dir() + ":v1"), Loc("oci:" + out + ":m"), Changes(), {});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(r->written, std::vector<std::string>{"oci:" + out + ":m@" + r->root.digest.ToString()});
  auto again = Mutate(Loc("oci:" + layout_dir() + ":v1"), Loc("oci:" + out + ":m"), Changes(), {});
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_TRUE(again->unchanged);
  EXPECT_EQ(again->root.digest, r->root.digest);
  // Every blob the new image names is in the new layout.
  auto layout = OciLayout::Open(out);
  ASSERT_TRUE(layout.has_value());
  auto index_bytes = (*layout)->ReadAll(r->root.digest);
  ASSERT_TRUE(index_bytes.has_value());
  auto index = Index::Parse(*index_bytes);
  ASSERT_TRUE(index.has_value());
  ASSERT_EQ(index->manifests.size(), 2u);
  for (const Descriptor& d : index->manifests) {
    auto bytes = (*layout)->ReadAll(d.digest);
    ASSERT_TRUE(bytes.has_value());
    auto m = Manifest::Parse(*bytes);
    ASSERT_TRUE(m.has_value());
    EXPECT_TRUE(*(*layout)->Has(m->config.digest));
    for (const Descriptor& l : m->layers) EXPECT_TRUE(*(*layout)->Has(l.digest));
  }
}

}  // namespace
}  // namespace ocib
