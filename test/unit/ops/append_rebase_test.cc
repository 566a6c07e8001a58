// Append (ocib/append.h) and Rebase (ocib/rebase.h) against the in-memory
// registry of test/registry/fake_registry.h: registry to registry the
// image's layers are mounted, never downloaded; bad input (a ../ entry, a
// platform not in the index, a base that is not a prefix) is refused with
// nothing written at the destination.
#include <fstream>

#include <gtest/gtest.h>

#include "ocib/append.h"
#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/push.h"
#include "ocib/rebase.h"

#include "lib/archive/tar_writer.h"
#include "test/registry/fake_registry.h"
#include "test/testing/build_options.h"
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

class FileWriter : public Writer {
 public:
  explicit FileWriter(const std::string& path) : out_(path, std::ios::binary) {}
  Status Write(const void* data, size_t size) override {
    out_.write(static_cast<const char*>(data), static_cast<std::streamsize>(size));
    return OkStatus();
  }
  Status Close() override { return OkStatus(); }

 private:
  std::ofstream out_;
};

// A tarball at `path` with one file at `name`.
void WriteTar(const std::string& path, const std::string& name) {
  FileWriter out(path);
  tar::TarWriter w(&out);
  tar::Header h;
  h.path = name;
  h.size = 3;
  ASSERT_TRUE(w.WriteHeader(h).has_value());
  ASSERT_TRUE(w.WriteData("abc", 3).has_value());
  ASSERT_TRUE(w.Finish().has_value());
}

class AppendRebaseTest : public ::testing::Test {
 protected:
  void SetUp() override {
    reg_ = std::make_shared<FakeRegistry>();
    reg_->mounts = true;
    MakeImage(dir_.path() + "/src");
    auto r = Push(dir_.path() + "/src", "v1", Dest("reg.test/app:v1"), Options(reg_));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    WriteTar(tarball(), "etc/extra.conf");
  }
  std::string tarball() const { return dir_.path() + "/layer.tar"; }
  int Count(const std::string& method, const std::string& prefix) {
    int n = 0;
    for (const auto& r : reg_->log()) n += (r.method == method && r.path.rfind(prefix, 0) == 0);
    return n;
  }
  std::vector<Manifest> Manifests(const std::string& repo, const Digest& index) {
    std::vector<Manifest> out;
    auto idx = Index::Parse(reg_->manifests[repo + "@" + index.ToString()].bytes);
    EXPECT_TRUE(idx.has_value());
    for (const Descriptor& d : idx->manifests) {
      auto m = Manifest::Parse(reg_->manifests[repo + "@" + d.digest.ToString()].bytes);
      EXPECT_TRUE(m.has_value());
      out.push_back(*m);
    }
    return out;
  }
  Result<MutateResult> AppendTo(const std::string& dst, std::vector<AppendInput> layers) {
    AppendOptions a;
    a.layers = std::move(layers);
    return Append(Loc("reg.test/app:v1"), Loc(dst), a, Options(reg_));
  }

  ocib::testing::ScopedTempDir dir_;
  std::shared_ptr<FakeRegistry> reg_;
};

TEST_F(AppendRebaseTest, AppendMountsTheImageLayersAndUploadsTheNewOne) {
  reg_->ClearLog();
  auto r = AppendTo("reg.test/other:v1", {{std::nullopt, tarball()}});
  ASSERT_TRUE(r.has_value()) << r.error().ToString();
  EXPECT_EQ(Count("GET", "/v2/app/blobs/"), 2);  // the two configs, no layer
  std::vector<Manifest> ms = Manifests("other", r->root.digest);
  ASSERT_EQ(ms.size(), 2u);
  EXPECT_EQ(ms[0].layers.back().digest, ms[1].layers.back().digest);  // one layer, both
  for (const Manifest& m : ms) {
    ASSERT_EQ(m.layers.size(), 2u);
    for (const Descriptor& l : m.layers) {
      EXPECT_EQ(reg_->blobs.count("other@" + l.digest.ToString()), 1u) << l.digest.ToString();
    }
  }
  auto again = AppendTo("reg.test/other:v1", {{std::nullopt, tarball()}});
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_TRUE(again->unchanged);
  EXPECT_EQ(again->root.digest, r->root.digest);
}

// The history entry of an appended layer names its input by base name, a
// directory given with trailing slashes too (on a base with history: the
// embedded one).
TEST_F(AppendRebaseTest, TheHistoryNamesTheInput) {
  ocib::testing::WriteFileOrDie(dir_.path() + "/app", std::string(3000, 'a'));
  ocib::testing::BuildOptions b;
  b.binaries = {{"linux/amd64", dir_.path() + "/app"}};
  b.binary_unchecked = true;  // a stand-in binary
  b.no_cache = true;
  b.sbom = "none";
  b.output = "oci:" + dir_.path() + "/based:v1";
  auto built = ocib::testing::BuildImage(b);
  ASSERT_TRUE(built.has_value()) << built.error().ToString();
  auto pushed = Push(dir_.path() + "/based", "v1", Dest("reg.test/based:v1"), Options(reg_));
  ASSERT_TRUE(pushed.has_value()) << pushed.error().ToString();
  ocib::testing::WriteFileOrDie(dir_.path() + "/confdir/etc/app.conf", "x=1\n");
  for (const std::string& input : {tarball(), dir_.path() + "/confdir//"}) {
    AppendOptions a;
    a.layers = {{std::nullopt, input}};
    auto r = Append(Loc("reg.test/based:v1"), Loc("reg.test/hist:v1"), a, Options(reg_));
    ASSERT_TRUE(r.has_value()) << r.error().ToString();
    auto m = Manifest::Parse(reg_->manifests["hist@" + r->root.digest.ToString()].bytes);
    ASSERT_TRUE(m.has_value());
    auto cfg = ImageConfig::Parse(reg_->blobs["hist@" + m->config.digest.ToString()]);
    ASSERT_TRUE(cfg.has_value());
    ASSERT_FALSE(cfg->history.empty());
    const std::string want = input == tarball() ? "ocib append: layer.tar" : "ocib append: confdir";
    EXPECT_EQ(cfg->history.back().created_by, want) << input;
  }
}

TEST_F(AppendRebaseTest, AppendRefusesBadInputBeforeWriting) {
  std::string bad = dir_.path() + "/bad.tar";
  WriteTar(bad, "x/../../escape");
  reg_->ClearLog();
  auto escape = AppendTo("reg.test/other:v1", {{std::nullopt, bad}});
  ASSERT_FALSE(escape.has_value());
  EXPECT_EQ(escape.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_TRUE(reg_->log().empty());
  auto platform = AppendTo("reg.test/other:v1", {{*Platform::Parse("linux/s390x"), tarball()}});
  ASSERT_FALSE(platform.has_value());
  EXPECT_EQ(platform.error().code(), ErrorCode::kNotFound);
  EXPECT_EQ(Count("PUT", "/v2/other/") + Count("POST", "/v2/other/"), 0);
  EXPECT_FALSE(reg_->tags.contains("other:v1"));
}

TEST_F(AppendRebaseTest, RebaseSwapsTheBaseAndMountsTheLayers) {
  // The new base: the image with one more layer, in another repository.
  auto base = AppendTo("reg.test/base:2", {{std::nullopt, tarball()}});
  ASSERT_TRUE(base.has_value()) << base.error().ToString();
  reg_->ClearLog();
  RebaseOptions r{Loc("reg.test/base:2"), Loc("reg.test/app:v1"), std::nullopt, {}, std::nullopt};
  auto out = Rebase(Loc("reg.test/app:v1"), Loc("reg.test/app:rebased"), r, Options(reg_));
  ASSERT_TRUE(out.has_value()) << out.error().ToString();
  std::vector<Manifest> got = Manifests("app", out->root.digest);
  std::vector<Manifest> want = Manifests("base", base->root.digest);
  ASSERT_EQ(got.size(), 2u);
  for (size_t i = 0; i < got.size(); ++i) {
    EXPECT_EQ(got[i].layers, want[i].layers);
    EXPECT_EQ(got[i].annotations.at("org.opencontainers.image.base.digest"),
              Index::Parse(reg_->manifests["base@" + base->root.digest.ToString()].bytes)
                  ->manifests[i]
                  .digest.ToString());
    for (const Descriptor& l : got[i].layers) {
      EXPECT_EQ(reg_->blobs.count("app@" + l.digest.ToString()), 1u) << l.digest.ToString();
    }
  }
  // Only configs were read (the image's, the old base's, the new base's).
  EXPECT_EQ(Count("GET", "/v2/base/blobs/") + Count("GET", "/v2/app/blobs/"), 6);
  for (const Manifest& m : got) {
    for (const Descriptor& l : m.layers) {
      for (const auto& req : reg_->log()) {
        EXPECT_FALSE(req.method == "GET" && req.path.ends_with(l.digest.ToString())) << req.path;
      }
    }
  }
}

TEST_F(AppendRebaseTest, RebaseRefusesABaseThatIsNotAPrefix) {
  auto base = AppendTo("reg.test/base:2", {{std::nullopt, tarball()}});
  ASSERT_TRUE(base.has_value()) << base.error().ToString();
  reg_->ClearLog();
  RebaseOptions r{Loc("reg.test/app:v1"), Loc("reg.test/base:2"), std::nullopt, {}, std::nullopt};
  auto out = Rebase(Loc("reg.test/app:v1"), Loc("reg.test/app:x"), r, Options(reg_));
  ASSERT_FALSE(out.has_value());
  EXPECT_EQ(out.error().code(), ErrorCode::kInvalidArgument);
  EXPECT_NE(out.error().ToString().find("platform linux/amd64"), std::string::npos)
      << out.error().ToString();
  EXPECT_EQ(Count("PUT", "/v2/app/") + Count("POST", "/v2/app/"), 0);
  // Without --old-base and without base annotations: a clear refusal.
  RebaseOptions unnamed{Loc("reg.test/base:2"), std::nullopt, std::nullopt, {}, std::nullopt};
  auto none = Rebase(Loc("reg.test/app:v1"), Loc("reg.test/app:x"), unnamed, Options(reg_));
  ASSERT_FALSE(none.has_value());
  EXPECT_NE(none.error().ToString().find("does not name its base"), std::string::npos);
}

}  // namespace
}  // namespace ocib
