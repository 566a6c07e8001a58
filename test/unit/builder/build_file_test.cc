// Build file error paths at the edges of the "plain key" rule: a key made of
// [A-Za-z0-9_] is written .key, any other key ["key"]. Every bound of each
// character class is tried, so a message never names a path its reader
// cannot find.
#include "ocib/build_file.h"

#include <algorithm>
#include <filesystem>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "test/registry/fake_registry.h"
#include "test/testing/build_options.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

Result<std::vector<BuildFileImage>> Parse(std::string_view json) {
  return ParseBuildFile(json, "ocib.json", "");
}

TEST(BuildFilePathTest, PlainKeysAreWrittenWithADot) {
  for (const char* key : {"a", "z", "A", "Z", "0", "9", "_", "x0", "x9", "aZ_09"}) {
    std::string json = std::string(R"({"images": [{")") + key + R"(": 1}]})";
    EXPECT_THAT(Parse(json), StatusIs(ErrorCode::kInvalidArgument,
                                      HasSubstr(std::string("images[0].") + key + ": unknown key")))
        << key;
  }
}

TEST(BuildFilePathTest, OtherKeysAreQuoted) {
  // Just outside each class: '`' < 'a', '{' > 'z', '@' < 'A', '[' > 'Z',
  // '/' < '0', ':' > '9'; and '-', '.', ' ' that are in none.
  for (const char* key : {"`", "{", "@", "[", "/", ":", "-", ".", " ", "x/"}) {
    std::string json = std::string(R"({"images": [{")") + key + R"(": 1}]})";
    EXPECT_THAT(Parse(json),
                StatusIs(ErrorCode::kInvalidArgument,
                         HasSubstr(std::string("images[0][\"") + key + "\"]: unknown key")))
        << key;
  }
}

}  // namespace
}  // namespace ocib

// ---- BuildImages: the images of a build file in parallel ---------------------

namespace ocib {
namespace {

using ::ocib::testing::BuildOptions;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::SpecOrDie;
using ::ocib::testing::WriteFileOrDie;

class BuildImagesTest : public ::testing::Test {
 protected:
  // `n` two-platform images of distinct stand-in binaries, written to
  // oci:out-I:v1 (or pushed to reg.test/svc-I:v1 with `push`).
  std::vector<BuildFileImage> Images(int n, bool push = false) {
    std::vector<BuildFileImage> images;
    for (int i = 0; i < n; ++i) {
      BuildFileImage image;
      image.name = "svc-" + std::to_string(i);
      image.label = "images[" + std::to_string(i) + "] (" + image.name + ")";
      BuildOptions o;
      for (const char* arch : {"amd64", "arm64"}) {
        std::string bin = tmp_.path() + "/bin-" + std::to_string(i) + "-" + arch;
        WriteFileOrDie(bin, std::string(3000, 'x') + image.name + arch);
        o.binaries.emplace_back(std::string("linux/") + arch, bin);
      }
      o.binary_unchecked = true;  // stand-in bytes, not executables
      o.no_cache = true;
      o.sbom = "none";
      o.source_date_epoch = 1700000000;
      if (push) {
        o.tags = {"reg.test/" + image.name + ":v1"};
      } else {
        o.output = "oci:" + tmp_.path() + "/out-" + std::to_string(i) + ":v1";
      }
      o.log = [this](std::string_view line) {
        std::lock_guard<std::mutex> lock(mu_);
        log_.emplace_back(line);
      };
      image.spec = SpecOrDie(o);
      images.push_back(std::move(image));
    }
    return images;
  }

  // Runs BuildImages; the order results came in and their digests.
  Status Run(const std::vector<BuildFileImage>& images, int jobs, std::vector<size_t>* order,
             std::vector<std::string>* digests) {
    BuildImagesOptions run;
    run.jobs = jobs;
    run.on_result = [&](size_t i, const BuildResult& r) {
      order->push_back(i);
      digests->push_back(r.descriptor.digest.ToString());
    };
    return BuildImages(images, run);
  }

  ScopedTempDir tmp_;
  std::mutex mu_;
  std::vector<std::string> log_;
};

TEST_F(BuildImagesTest, ResultsInFileOrderWithTheDigestsOfASequentialRun) {
  auto images = Images(6);
  std::vector<size_t> order;
  std::vector<std::string> parallel;
  ASSERT_TRUE(Run(images, 4, &order, &parallel).has_value());
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4, 5}));
  std::vector<size_t> order1;
  std::vector<std::string> sequential;
  ASSERT_TRUE(Run(images, 1, &order1, &sequential).has_value());
  EXPECT_EQ(parallel, sequential);
  EXPECT_EQ(std::set<std::string>(parallel.begin(), parallel.end()).size(), 6u);
  // Every log line names its image.
  ASSERT_FALSE(log_.empty());
  for (const std::string& line : log_) EXPECT_EQ(line.rfind("[svc-", 0), 0u) << line;
}

// configure sees each image's options once, before its log lines are
// prefixed: events it attaches report that image's layers, a log it sets
// gets the image's prefix.
TEST_F(BuildImagesTest, ConfigureAttachesPerImageEvents) {
  auto images = Images(4);
  std::mutex mu;
  std::map<size_t, int> layers;  // image -> layer events
  std::vector<std::string> lines;
  BuildImagesOptions run;
  run.jobs = 3;
  run.configure = [&](size_t i, BuildSpec& o) {
    o.events.on_layer = [&, i](const LayerEvent& e) {
      std::lock_guard<std::mutex> lock(mu);
      if (e.action == BlobAction::kBuilt) ++layers[i];
    };
    o.log = [&](std::string_view line) {
      std::lock_guard<std::mutex> lock(mu);
      lines.emplace_back(line);
    };
  };
  std::vector<std::string> digests(4);
  run.on_result = [&](size_t i, const BuildResult& r) {
    digests[i] = r.descriptor.digest.ToString();
  };
  ASSERT_TRUE(BuildImages(images, run).has_value());
  // Base and two binaries each (no shared files).
  EXPECT_EQ(layers, (std::map<size_t, int>{{0, 3}, {1, 3}, {2, 3}, {3, 3}}));
  ASSERT_FALSE(lines.empty());
  for (const std::string& line : lines) EXPECT_EQ(line.rfind("[svc-", 0), 0u) << line;
  // The configured log replaced the image's own.
  EXPECT_TRUE(log_.empty());
  std::vector<size_t> order;
  std::vector<std::string> plain;
  ASSERT_TRUE(Run(images, 1, &order, &plain).has_value());
  EXPECT_EQ(digests, plain);
}

TEST_F(BuildImagesTest, AFailureStopsTheImagesNotStartedAndNamesTheImage) {
  auto images = Images(5);
  images[2].spec.binaries[0].second = tmp_.path() + "/missing";
  std::vector<size_t> order;
  std::vector<std::string> digests;
  Status st = Run(images, 1, &order, &digests);
  ASSERT_FALSE(st.has_value());
  EXPECT_THAT(st.error().ToString(), ::testing::HasSubstr("images[2] (svc-2): "));
  EXPECT_EQ(order, (std::vector<size_t>{0, 1}));
  EXPECT_TRUE(std::filesystem::exists(tmp_.path() + "/out-1/index.json"));
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/out-3"));
  EXPECT_FALSE(std::filesystem::exists(tmp_.path() + "/out-4"));
}

TEST_F(BuildImagesTest, AFailureInAParallelRunReportsTheFirstFailingImage) {
  auto images = Images(6);
  images[3].spec.binaries[0].second = tmp_.path() + "/missing-3";
  images[4].spec.binaries[0].second = tmp_.path() + "/missing-4";
  std::vector<size_t> order;
  std::vector<std::string> digests;
  Status st = Run(images, 3, &order, &digests);
  ASSERT_FALSE(st.has_value());
  EXPECT_THAT(st.error().ToString(), ::testing::HasSubstr("images[3] (svc-3): "));
  // The images before it finished and were given in order.
  ASSERT_GE(order.size(), 3u);
  EXPECT_EQ(std::vector<size_t>(order.begin(), order.begin() + 3), (std::vector<size_t>{0, 1, 2}));
  EXPECT_TRUE(std::ranges::is_sorted(order));
}

TEST_F(BuildImagesTest, PushesShareOneSessionAndSendEachBlobOnce) {
  auto reg = std::make_shared<fake::FakeRegistry>();
  reg->mounts = true;
  auto images = Images(5, /*push=*/true);
  for (auto& image : images) image.spec.registry = fake::Options(reg);
  std::vector<size_t> order;
  std::vector<std::string> digests;
  Status st = Run(images, 5, &order, &digests);
  ASSERT_TRUE(st.has_value()) << st.error().ToString();
  EXPECT_EQ(order, (std::vector<size_t>{0, 1, 2, 3, 4}));
  std::set<std::string> distinct;
  for (const auto& [key, bytes] : reg->blobs) distinct.insert(key.substr(key.find('@') + 1));
  int uploads = 0;
  int pings = 0;
  int tag_heads = 0;
  for (const fake::Request& r : reg->log()) {
    if (r.method == "PUT" && r.path.find("/blobs/uploads/") != std::string::npos) ++uploads;
    if (r.path == "/v2/") ++pings;
    if (r.method == "HEAD" && r.path.ends_with("/manifests/v1")) ++tag_heads;
  }
  EXPECT_EQ(uploads, static_cast<int>(distinct.size()));
  // One session for the registry: the first tag HEAD is its only ping (no
  // /v2/ request), the one extra request of the run.
  EXPECT_EQ(pings, 0);
  EXPECT_EQ(tag_heads, 5 + 1);
  // The base layer went up once and was mounted into the other four.
  EXPECT_LT(distinct.size(), reg->blobs.size());
}

}  // namespace
}  // namespace ocib
