// Append (lib/ops/append.cc, ocib/append.h) against the in-memory registry:
// registry to registry the image's layers are mounted, never downloaded;
// bad input (a ../ entry, a platform not in the index) is refused with
// nothing written at the destination.
#include "ocib/append.h"

#include <gtest/gtest.h>

#include "ocib/image_config.h"
#include "ocib/manifest.h"
#include "ocib/push.h"

#include "test/registry/fake_registry.h"
#include "test/testing/build_options.h"
#include "test/testing/test_util.h"
#include "test/unit/ops/pushed_image.h"

namespace ocib {
namespace {

using ::ocib::testing::Loc;
using ::ocib::testing::PushedImageTest;
using ::ocib::testing::WriteTar;

using fake::Dest;
using fake::Options;

class AppendTest : public PushedImageTest {};

TEST_F(AppendTest, AppendMountsTheImageLayersAndUploadsTheNewOne) {
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
TEST_F(AppendTest, TheHistoryNamesTheInput) {
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

TEST_F(AppendTest, AppendRefusesBadInputBeforeWriting) {
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

}  // namespace
}  // namespace ocib
