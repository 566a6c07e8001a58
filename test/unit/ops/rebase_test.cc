// Rebase (lib/ops/rebase.cc, ocib/rebase.h) against the in-memory registry:
// the base's layers swapped and mounted, only configs read; a base that is
// not a prefix, or an image that does not name its base, is refused with
// nothing written at the destination.
#include "ocib/rebase.h"

#include <gtest/gtest.h>

#include "ocib/manifest.h"

#include "test/registry/fake_registry.h"
#include "test/unit/ops/pushed_image.h"

namespace ocib {
namespace {

using fake::Options;
using ::ocib::testing::Loc;
using ::ocib::testing::PushedImageTest;

class RebaseTest : public PushedImageTest {};

TEST_F(RebaseTest, RebaseSwapsTheBaseAndMountsTheLayers) {
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

TEST_F(RebaseTest, RebaseRefusesABaseThatIsNotAPrefix) {
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
