// PushImage with a run's shared registry sessions (RegistryOptions::sessions)
// against an in-memory registry: blobs cross the network once per registry,
// mounted into every other repository, and the requests of a push.
#include "ocib/push.h"

#include <algorithm>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include <gtest/gtest.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/registry.h"

#include "test/registry/fake_registry.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using fake::Dest;
using fake::FakeRegistry;
using fake::MakeImage;
using fake::Request;

RegistryOptions Shared(const std::shared_ptr<FakeRegistry>& reg,
                       const std::shared_ptr<RegistrySessions>& sessions) {
  RegistryOptions o = fake::Options(reg);
  o.sessions = sessions;
  return o;
}

int CountIf(const std::vector<Request>& log, const std::string& method, const std::string& part) {
  return static_cast<int>(std::ranges::count_if(log, [&](const Request& r) {
    return r.method == method && r.path.find(part) != std::string::npos;
  }));
}

int Pings(const std::vector<Request>& log) {
  return static_cast<int>(
      std::ranges::count_if(log, [](const Request& r) { return r.path == "/v2/"; }));
}

size_t BlobsOf(const FakeRegistry& reg, const std::string& repo) {
  return static_cast<size_t>(std::ranges::count_if(
      reg.blobs, [&](const auto& kv) { return kv.first.rfind(repo + "@", 0) == 0; }));
}

TEST(SharedSessionPushTest, BlobsPushedToOneRepositoryAreMountedIntoAnother) {
  testing::ScopedTempDir tmp;
  MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  reg->mounts = true;
  auto sessions = std::make_shared<RegistrySessions>();
  auto a = Push(tmp.path() + "/layout", "v1", Dest("reg.test/a:v1"), Shared(reg, sessions));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  size_t blobs = BlobsOf(*reg, "a");
  ASSERT_GT(blobs, 0u);
  reg->ClearLog();

  auto b = Push(tmp.path() + "/layout", "v1", Dest("reg.test/b:v1"), Shared(reg, sessions));
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ(b->root.digest, a->root.digest);
  EXPECT_EQ(BlobsOf(*reg, "b"), blobs);
  auto log = reg->log();
  // One mount per blob, no HEAD of a blob, no upload, no second /v2/ probe.
  EXPECT_EQ(CountIf(log, "POST", "/v2/b/blobs/uploads/"), static_cast<int>(blobs));
  EXPECT_EQ(CountIf(log, "HEAD", "/v2/b/blobs/"), 0);
  EXPECT_EQ(CountIf(log, "PUT", "/blobs/uploads/"), 0);
  EXPECT_EQ(Pings(log), 0);                           // the first push's probe holds for the run
  EXPECT_EQ(CountIf(log, "HEAD", "/manifests/"), 1);  // the tag
  EXPECT_EQ(static_cast<size_t>(b->blobs_uploaded), blobs);
}

TEST(SharedSessionPushTest, RefusedMountUploadsInTheSessionTheRegistryOpened) {
  testing::ScopedTempDir tmp;
  MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  reg->mounts = false;  // every mount is answered 202 with an upload session
  auto sessions = std::make_shared<RegistrySessions>();
  auto a = Push(tmp.path() + "/layout", "v1", Dest("reg.test/a:v1"), Shared(reg, sessions));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  size_t blobs = BlobsOf(*reg, "a");
  reg->ClearLog();

  auto b = Push(tmp.path() + "/layout", "v1", Dest("reg.test/b:v1"), Shared(reg, sessions));
  ASSERT_TRUE(b.has_value()) << b.error().ToString();
  EXPECT_EQ(BlobsOf(*reg, "b"), blobs);
  auto log = reg->log();
  // Each blob: the mount POST (refused), then its bytes into that session:
  // no second POST.
  int mounts = static_cast<int>(std::ranges::count_if(log, [](const Request& r) {
    return r.method == "POST" && r.query.find("mount=") != std::string::npos &&
           r.query.find("from=a") != std::string::npos;
  }));
  EXPECT_EQ(mounts, static_cast<int>(blobs));
  EXPECT_EQ(CountIf(log, "POST", "/v2/b/blobs/uploads/"), static_cast<int>(blobs));
  EXPECT_EQ(CountIf(log, "PUT", "/v2/b/blobs/uploads/"), static_cast<int>(blobs));
}

TEST(SharedSessionPushTest, ParallelPushesUploadEachBlobOnce) {
  testing::ScopedTempDir tmp;
  MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  reg->mounts = true;
  auto sessions = std::make_shared<RegistrySessions>();
  constexpr int kRepos = 8;
  std::vector<Result<PushResult>> results(kRepos, Error(ErrorCode::kInternal, "not run"));
  {
    std::vector<std::jthread> threads;
    for (int i = 0; i < kRepos; ++i) {
      threads.emplace_back([&, i] {
        results[static_cast<size_t>(i)] =
            Push(tmp.path() + "/layout", "v1", Dest("reg.test/r" + std::to_string(i) + ":v1"),
                 Shared(reg, sessions));
      });
    }
  }
  for (const auto& r : results) ASSERT_TRUE(r.has_value()) << r.error().ToString();
  size_t distinct = BlobsOf(*reg, "r0");
  for (int i = 0; i < kRepos; ++i) EXPECT_EQ(BlobsOf(*reg, "r" + std::to_string(i)), distinct);
  auto log = reg->log();
  EXPECT_EQ(CountIf(log, "PUT", "/blobs/uploads/"), static_cast<int>(distinct));
  // The first tag HEAD is the registry's ping (cold: 404, so it is asked
  // again); no /v2/ request.
  EXPECT_EQ(Pings(log), 0);
  EXPECT_EQ(CountIf(log, "HEAD", "/manifests/"), kRepos + 1);              // the tags
  EXPECT_EQ(CountIf(log, "HEAD", "/blobs/"), static_cast<int>(distinct));  // one claim each
}

TEST(SharedSessionPushTest, ColdPushSendsNoManifestHeadButTheTags) {
  testing::ScopedTempDir tmp;
  MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  auto pushed = Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), fake::Options(reg));
  ASSERT_TRUE(pushed.has_value()) << pushed.error().ToString();
  auto log = reg->log();
  // The tag's HEAD twice: once as the registry's ping (a 404 of an
  // anonymous request is not conclusive), once as the check.
  EXPECT_EQ(CountIf(log, "HEAD", "/manifests/"), 2);
  EXPECT_EQ(CountIf(log, "PUT", "/manifests/v1"), 1);
  EXPECT_EQ(CountIf(log, "HEAD", "/v2/app/manifests/v1"), 2);
  EXPECT_EQ(Pings(log), 0);

  // Warm: the tag names the image; its referrers are checked, nothing sent.
  reg->ClearLog();
  auto again = Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), fake::Options(reg));
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  for (const Request& r : reg->log()) EXPECT_EQ(r.method, "HEAD") << r.path;
  EXPECT_EQ(again->blobs_skipped, pushed->blobs_uploaded);  // every blob, none looked at
}

// check_referrers: kEach (the default) checks each referrer of a warm push
// and restores one the registry lacks; kLast checks only the last one
// pushed; kNone the tag alone.
TEST(SharedSessionPushTest, ReferrerChecksOfAWarmPush) {
  testing::ScopedTempDir tmp;
  fake::TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  ASSERT_TRUE(
      Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), fake::Options(reg)).has_value());
  const std::string lost = "app@" + img.sboms[1].digest.ToString();
  ASSERT_EQ(reg->manifests.erase(lost), 1U);

  // kNone trusts the tag: the referrer stays missing.
  RegistryOptions o = fake::Options(reg);
  o.check_referrers = RegistryOptions::ReferrerCheck::kNone;
  reg->ClearLog();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o).has_value());
  EXPECT_EQ(reg->log().size(), 1U);  // the tag, which is also the registry's ping
  EXPECT_FALSE(reg->manifests.contains(lost));
  // kLast: the last referrer pushed (the index's signature) is there.
  o.check_referrers = RegistryOptions::ReferrerCheck::kLast;
  reg->ClearLog();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o).has_value());
  ASSERT_EQ(reg->log().size(), 2U);
  EXPECT_EQ(reg->log().back().method, "HEAD");
  EXPECT_EQ(reg->log().back().path, "/v2/app/manifests/" + img.index_referrer.digest.ToString());
  EXPECT_FALSE(reg->manifests.contains(lost));

  o.check_referrers = RegistryOptions::ReferrerCheck::kEach;
  reg->ClearLog();
  auto checked = Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o);
  ASSERT_TRUE(checked.has_value()) << checked.error().ToString();
  EXPECT_TRUE(reg->manifests.contains(lost));
  EXPECT_EQ(CountIf(reg->log(), "PUT", "/manifests/" + img.sboms[1].digest.ToString()), 1);
  EXPECT_EQ(CountIf(reg->log(), "PUT", "/manifests/v1"), 0);  // the tag already named it

  // Everything there: the tag and each of the three referrers, HEADs only.
  reg->ClearLog();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o).has_value());
  EXPECT_EQ(reg->log().size(), 4U);
  for (const Request& r : reg->log()) EXPECT_EQ(r.method, "HEAD") << r.path;
}

// push_record_dir with kLast: a push records its root and referrers; the
// next warm push of the same image is done after the tag's HEAD; an image
// whose last referrer the record does not list (another SBOM format, or a
// record from elsewhere) still HEADs it, and a missing one is pushed.
TEST(SharedSessionPushTest, APushRecordSavesTheReferrerCheckOfAWarmPush) {
  testing::ScopedTempDir tmp;
  fake::TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  RegistryOptions o = fake::Options(reg);
  o.check_referrers = RegistryOptions::ReferrerCheck::kLast;
  o.push_record_dir = tmp.path() + "/record";
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o).has_value());
  reg->ClearLog();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o).has_value());
  ASSERT_EQ(reg->log().size(), 1U);  // the tag, which is also the registry's ping
  EXPECT_EQ(reg->log().back().path, "/v2/app/manifests/v1");

  // Another repository has no record: its last referrer is checked.
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/other:v1"), o).has_value());
  reg->ClearLog();
  o.push_record_dir = tmp.path() + "/elsewhere";
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o).has_value());
  ASSERT_EQ(reg->log().size(), 2U);
  EXPECT_EQ(reg->log().back().path, "/v2/app/manifests/" + img.index_referrer.digest.ToString());

  // The last referrer lost on the registry and a record that does not
  // list it: found missing and pushed again.
  ASSERT_EQ(reg->manifests.erase("app@" + img.index_referrer.digest.ToString()), 1U);
  o.push_record_dir = tmp.path() + "/fresh";
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o).has_value());
  EXPECT_TRUE(reg->manifests.contains("app@" + img.index_referrer.digest.ToString()));
}

// The progress lines of a cold push (what `-v` prints): one per child
// manifest and per referrer, each naming its digest.
TEST(SharedSessionPushTest, ProgressNamesEachManifestAndReferrer) {
  testing::ScopedTempDir tmp;
  fake::TestImage img = MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  RegistryOptions o = fake::Options(reg);
  std::vector<std::string> lines;
  std::mutex mu;
  o.progress = [&](std::string_view line) {
    std::lock_guard<std::mutex> lock(mu);
    lines.emplace_back(line);
  };
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o).has_value());
  auto count = [&](const std::string& part) {
    return std::ranges::count_if(
        lines, [&](const std::string& l) { return l.find(part) != std::string::npos; });
  };
  for (const Descriptor& m : img.manifests) {
    EXPECT_EQ(count("pushed manifest " + m.digest.ToString().substr(0, 19)), 1)
        << m.digest.ToString();
  }
  for (const Descriptor& r : img.sboms) {
    EXPECT_EQ(count("pushed referrer " + r.digest.ToString().substr(0, 19)), 1)
        << r.digest.ToString();
  }
}

// The per-blob events (ocib/progress.h): a plan first, then one event per
// blob saying what was done, and bytes up to each uploaded blob's size.
struct Recorded {
  std::mutex mu;
  std::vector<TransferPlan> plans;
  std::vector<BlobEvent> blobs;
  std::map<std::string, int64_t> bytes;  // digest -> last done
};

RegistryOptions Recording(RegistryOptions o, const std::shared_ptr<Recorded>& rec) {
  o.events.on_plan = [rec](const TransferPlan& p) {
    std::lock_guard<std::mutex> lock(rec->mu);
    rec->plans.push_back(p);
  };
  o.events.on_bytes = [rec](const Digest& d, int64_t done, int64_t total) {
    std::lock_guard<std::mutex> lock(rec->mu);
    EXPECT_LE(done, total);
    rec->bytes[d.ToString()] = done;
  };
  o.events.on_blob = [rec](const BlobEvent& e) {
    std::lock_guard<std::mutex> lock(rec->mu);
    rec->blobs.push_back(e);
  };
  return o;
}

std::vector<BlobAction> Actions(const Recorded& rec) {
  std::vector<BlobAction> out;
  for (const BlobEvent& e : rec.blobs) out.push_back(e.action);
  return out;
}

// Indexes nested in a chain are pushed 8 levels deep; a 9th level is
// refused before anything is written.
TEST(PushNestingTest, IndexesNestedUpToEightLevels) {
  ocib::testing::ScopedTempDir tmp;
  auto reg = std::make_shared<FakeRegistry>();
  for (int levels : {8, 9}) {
    const std::string dir = tmp.path() + "/nest" + std::to_string(levels);
    auto layout = OciLayout::OpenOrCreate(dir);
    ASSERT_TRUE(layout.has_value());
    Index inner;
    inner.media_type = std::string(media_type::kImageIndex);
    auto d = (*layout)->Put(media_type::kImageIndex, inner.Serialize());
    ASSERT_TRUE(d.has_value());
    for (int i = 0; i < levels; ++i) {
      Index outer;
      outer.media_type = std::string(media_type::kImageIndex);
      outer.manifests.push_back(*d);
      d = (*layout)->Put(media_type::kImageIndex, outer.Serialize());
      ASSERT_TRUE(d.has_value());
    }
    ASSERT_TRUE((*layout)->Tag(*d, "v1").has_value());
    const std::string repo = "reg.test/nest" + std::to_string(levels) + ":v1";
    auto r = Push(dir, "v1", Dest(repo), fake::Options(reg));
    if (levels == 8) {
      EXPECT_TRUE(r.has_value()) << r.error().ToString();
    } else {
      ASSERT_FALSE(r.has_value());
      EXPECT_EQ(r.error().code(), ErrorCode::kInvalidArgument) << r.error().ToString();
      EXPECT_NE(r.error().ToString().find("nested"), std::string::npos) << r.error().ToString();
      EXPECT_TRUE(reg->tags.find("nest9:v1") == reg->tags.end());
    }
  }
}

TEST(PushEventsTest, EachBlobSaysWhatWasDone) {
  testing::ScopedTempDir tmp;
  MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  reg->mounts = true;

  auto cold = std::make_shared<Recorded>();
  auto a = Push(tmp.path() + "/layout", "v1", Dest("reg.test/a:v1"),
                Recording(fake::Options(reg), cold));
  ASSERT_TRUE(a.has_value()) << a.error().ToString();
  const size_t n = BlobsOf(*reg, "a");
  ASSERT_EQ(cold->plans.size(), 1u);
  EXPECT_EQ(static_cast<size_t>(cold->plans[0].blobs), n);
  ASSERT_EQ(cold->blobs.size(), n);
  int64_t planned = 0;
  for (const BlobEvent& e : cold->blobs) {
    EXPECT_EQ(e.action, BlobAction::kUploaded) << e.digest.ToString();
    EXPECT_EQ(e.repository, "a");
    EXPECT_GE(e.seconds, 0);
    EXPECT_EQ(cold->bytes[e.digest.ToString()], e.size) << "bytes reported up to the size";
    planned += e.size;
  }
  EXPECT_EQ(cold->plans[0].bytes, planned);

  // The same image again: the tag names it, every blob is skipped.
  auto warm = std::make_shared<Recorded>();
  ASSERT_TRUE(
      Push(tmp.path() + "/layout", "v1", Dest("reg.test/a:v1"), Recording(fake::Options(reg), warm))
          .has_value());
  EXPECT_EQ(Actions(*warm), std::vector<BlobAction>(n, BlobAction::kSkipped));

  // Under another tag: the blobs are there (HEAD), nothing uploaded.
  auto retag = std::make_shared<Recorded>();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/a:v2"),
                   Recording(fake::Options(reg), retag))
                  .has_value());
  EXPECT_EQ(Actions(*retag), std::vector<BlobAction>(n, BlobAction::kExisted));
  EXPECT_TRUE(retag->bytes.empty());

  // Into another repository with the run's sessions: mounted.
  auto sessions = std::make_shared<RegistrySessions>();
  ASSERT_TRUE(
      Push(tmp.path() + "/layout", "v1", Dest("reg.test/a:v3"), Shared(reg, sessions)).has_value());
  auto mounted = std::make_shared<Recorded>();
  ASSERT_TRUE(Push(tmp.path() + "/layout", "v1", Dest("reg.test/b:v1"),
                   Recording(Shared(reg, sessions), mounted))
                  .has_value());
  EXPECT_EQ(Actions(*mounted), std::vector<BlobAction>(n, BlobAction::kMounted));
}

// --mount-from: across runs (no shared sessions), the blobs the named
// repository holds are mounted from it; the others are uploaded.
TEST(PushEventsTest, NamedMountSourceMountsAcrossRuns) {
  testing::ScopedTempDir tmp;
  MakeImage(tmp.path() + "/layout");
  auto reg = std::make_shared<FakeRegistry>();
  reg->mounts = true;
  ASSERT_TRUE(
      Push(tmp.path() + "/layout", "v1", Dest("reg.test/base:v1"), fake::Options(reg)).has_value());
  const size_t n = BlobsOf(*reg, "base");
  // Drop one blob from base: that one must be uploaded.
  std::string dropped;
  for (auto it = reg->blobs.begin(); it != reg->blobs.end(); ++it) {
    if (it->first.rfind("base@", 0) == 0) {
      dropped = it->first.substr(5);
      reg->blobs.erase(it);
      break;
    }
  }
  ASSERT_FALSE(dropped.empty());
  reg->ClearLog();

  auto rec = std::make_shared<Recorded>();
  RegistryOptions o = Recording(fake::Options(reg), rec);
  o.mount_from = {"app", "base"};  // the destination itself is passed over
  auto app = Push(tmp.path() + "/layout", "v1", Dest("reg.test/app:v1"), o);
  ASSERT_TRUE(app.has_value()) << app.error().ToString();
  EXPECT_EQ(BlobsOf(*reg, "app"), n);
  ASSERT_EQ(rec->blobs.size(), n);
  for (const BlobEvent& e : rec->blobs) {
    EXPECT_EQ(e.action,
              e.digest.ToString() == dropped ? BlobAction::kUploaded : BlobAction::kMounted)
        << e.digest.ToString();
  }
  const auto log = reg->log();
  auto posts_from = [&](const std::string& from) {
    return std::ranges::count_if(log, [&](const Request& r) {
      return r.method == "POST" && r.query.find("from=" + from) != std::string::npos;
    });
  };
  EXPECT_EQ(posts_from("base"), static_cast<std::ptrdiff_t>(n));
  EXPECT_EQ(posts_from("app"), 0);
}

}  // namespace
}  // namespace ocib
