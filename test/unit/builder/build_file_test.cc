// Tests of the build file (lib/builder/build_file.cc).
//
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
#include <utility>
#include <vector>

#include "ocib/image_builder.h"
#include "ocib/layer.h"
#include "ocib/oci_layout.h"

#include "test/registry/fake_registry.h"
#include "test/testing/build_options.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

Result<std::vector<BuildFileImage>> Parse(std::string_view json, std::string_view base_dir = "") {
  return ParseBuildFile(json, "ocib.json", base_dir);
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

// ---- ParseBuildFile, ApplyOverrides and LoadBuildFile -------------------------

namespace ocib {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ToText;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::Pair;
using ::testing::StartsWith;

using Strings = std::vector<std::string>;

TEST(BuildFileTest, EveryKey) {
  auto r = Parse(R"({"images": [{
    "name": "server",
    "base": "scratch",
    "base_name": "registry.example/base:1",
    "platforms": ["linux/amd64", "linux/arm64,linux/arm/v7"],
    "binaries": {"linux/arm64": "/b/arm64", "linux/amd64": "/b/amd64"},
    "go": "./cmd/server",
    "go_dir": "/src",
    "go_flags": ["-tags=netgo", "-v"],
    "go_ldflags": "-s -w",
    "binary_path": "/usr/bin/server",
    "files": ["/etc/conf:/etc/app", "/data/x:/srv/x"],
    "entrypoint": ["/usr/bin/server", "serve"],
    "cmd": [],
    "env": {"B": "2", "A": "x=y"},
    "labels": {"org.example.team": "build", "tier": "web"},
    "annotations": {"org.opencontainers.image.source": "https://example.invalid"},
    "expose": ["8080", "53/udp"],
    "user": "1000:2000",
    "workdir": "/srv",
    "compression": "gzip",
    "compression_level": 9,
    "output": "oci:/out/layout:v1",
    "sbom": "cyclonedx",
    "tags": ["registry.example/app:v1", "registry.example/app:latest"]
  }]})");
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 1u);
  const BuildFileImage& image = (*r)[0];
  EXPECT_EQ(image.name, "server");
  EXPECT_EQ(image.label, "images[0] (server)");
  const BuildOptions o = ToText(image.spec);
  EXPECT_EQ(o.base, "scratch");
  EXPECT_EQ(o.base_name, "registry.example/base:1");
  // Each list read as platforms, in order.
  EXPECT_EQ(o.platforms, (Strings{"linux/amd64", "linux/arm64", "linux/arm/v7"}));
  // File order, not sorted.
  EXPECT_THAT(o.binaries,
              ElementsAre(Pair("linux/arm64", "/b/arm64"), Pair("linux/amd64", "/b/amd64")));
  EXPECT_EQ(o.go_package, "./cmd/server");
  EXPECT_EQ(o.go_dir, "/src");
  EXPECT_EQ(o.go_flags, (Strings{"-tags=netgo", "-v"}));
  EXPECT_EQ(o.go_ldflags, std::optional<std::string>("-s -w"));
  EXPECT_EQ(o.binary_path, "/usr/bin/server");
  EXPECT_EQ(o.files, (Strings{"/etc/conf:/etc/app", "/data/x:/srv/x"}));
  EXPECT_EQ(o.entrypoint, std::optional<Strings>(Strings{"/usr/bin/server", "serve"}));
  EXPECT_EQ(o.cmd, std::optional<Strings>(Strings{}));  // set, even empty
  EXPECT_EQ(o.env, (Strings{"B=2", "A=x=y"}));
  EXPECT_EQ(o.labels, (Strings{"org.example.team=build", "tier=web"}));
  EXPECT_EQ(o.annotations, (Strings{"org.opencontainers.image.source=https://example.invalid"}));
  EXPECT_EQ(o.expose, (Strings{"8080/tcp", "53/udp"}));  // read as ports
  EXPECT_EQ(o.user, std::optional<std::string>("1000:2000"));
  EXPECT_EQ(o.workdir, std::optional<std::string>("/srv"));
  EXPECT_EQ(o.compression, Compression::kGzip);
  EXPECT_EQ(o.compression_level, 9);
  EXPECT_EQ(o.output, "oci:/out/layout:v1");
  EXPECT_EQ(o.sbom, "cyclonedx");
  EXPECT_EQ(o.tags, (Strings{"registry.example/app:v1", "registry.example/app:latest"}));
}

TEST(BuildFileTest, AbsentKeysKeepTheDefaults) {
  auto r = Parse(R"({"images": [{"output": "oci:/o"}]})");
  ASSERT_THAT(r, IsOk());
  const BuildOptions o = ToText((*r)[0].spec);
  BuildOptions d;
  EXPECT_EQ((*r)[0].name, "");
  EXPECT_EQ((*r)[0].label, "images[0]");
  EXPECT_EQ(o.base, d.base);
  EXPECT_EQ(o.binary_path, d.binary_path);
  EXPECT_EQ(o.compression, d.compression);
  EXPECT_EQ(o.sbom, d.sbom);
  EXPECT_FALSE(o.entrypoint.has_value());
  EXPECT_FALSE(o.cmd.has_value());
  EXPECT_FALSE(o.user.has_value());
  EXPECT_FALSE(o.workdir.has_value());
  EXPECT_FALSE(o.go_ldflags.has_value());
  EXPECT_FALSE(o.source_date_epoch.has_value());
  EXPECT_TRUE(o.go_dir.empty());
}

TEST(BuildFileTest, SeveralImagesInOrder) {
  auto r = Parse(R"({"images": [{"name": "a", "output": "oci:/o:a"},
                                {"output": "oci:/o:b"},
                                {"name": "c", "output": "oci:/o:c"}]})");
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 3u);
  EXPECT_EQ((*r)[0].label, "images[0] (a)");
  EXPECT_EQ((*r)[1].label, "images[1]");
  EXPECT_EQ((*r)[2].label, "images[2] (c)");
  EXPECT_EQ(ToText((*r)[1].spec).output, "oci:/o:b");
}

TEST(BuildFileTest, ASingleImageObjectAtTheTopLevel) {
  auto r = Parse(R"({"binaries": {"linux/amd64": "/b"}, "output": "oci:/o"})");
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 1u);
  EXPECT_EQ((*r)[0].label, "image");
  EXPECT_EQ(ToText((*r)[0].spec).output, "oci:/o");
  auto named = Parse(R"({"name": "tool", "output": "oci:/o"})");
  ASSERT_THAT(named, IsOk());
  EXPECT_EQ((*named)[0].label, "tool");
}

TEST(BuildFileTest, RelativePathsAreRelativeToTheBuildFile) {
  auto r = Parse(R"({"images": [{
    "base": "oci:base/layout:v2",
    "binaries": {"linux/amd64": "out/app", "linux/arm64": "/abs/app"},
    "files": ["conf/:/etc/app", "/abs/data:/data", "a:b:/c"],
    "output": "oci:out/layout:v1"
  }, {
    "base": "oci:/abs/base",
    "go": "./cmd/tool",
    "output": "oci-archive:out/tool.tar"
  }, {
    "base": "registry.example/base:1",
    "go": "./cmd/x",
    "go_dir": "src",
    "output": "oci:out/layout"
  }, {
    "go_dir": "/abs/src",
    "output": "oci:/abs/out"
  }]})",
                 "/ci/dir");
  ASSERT_THAT(r, IsOk());
  ASSERT_EQ(r->size(), 4u);
  const BuildOptions a = ToText((*r)[0].spec);
  EXPECT_EQ(a.base, "oci:/ci/dir/base/layout:v2");
  EXPECT_THAT(a.binaries,
              ElementsAre(Pair("linux/amd64", "/ci/dir/out/app"), Pair("linux/arm64", "/abs/app")));
  EXPECT_EQ(a.files, (Strings{"/ci/dir/conf/:/etc/app", "/abs/data:/data", "/ci/dir/a:b:/c"}));
  EXPECT_EQ(a.output, "oci:/ci/dir/out/layout:v1");
  EXPECT_TRUE(a.go_dir.empty());  // no "go": nothing to run go in
  const BuildOptions b = ToText((*r)[1].spec);
  EXPECT_EQ(b.base, "oci:/abs/base");
  EXPECT_EQ(b.go_package, "./cmd/tool");  // relative to go_dir, kept
  EXPECT_EQ(b.go_dir, "/ci/dir");         // "go" without "go_dir": the file's directory
  EXPECT_EQ(b.output, "oci-archive:/ci/dir/out/tool.tar");
  const BuildOptions c = ToText((*r)[2].spec);
  EXPECT_EQ(c.base, "registry.example/base:1");
  EXPECT_EQ(c.go_dir, "/ci/dir/src");
  EXPECT_EQ(c.output, "oci:/ci/dir/out/layout");
  EXPECT_EQ(ToText((*r)[3].spec).go_dir, "/abs/src");

  // The static and scratch bases are names, not paths.
  auto s = Parse(R"({"base": "static", "output": "oci:o"})", "/ci");
  ASSERT_THAT(s, IsOk());
  EXPECT_EQ(ToText((*s)[0].spec).base, "static");
  EXPECT_EQ(ToText((*s)[0].spec).output, "oci:/ci/o");
}

TEST(BuildFileTest, WithoutABaseDirPathsAreKept) {
  auto r = Parse(R"({"binaries": {"linux/amd64": "out/app"}, "files": ["c:/etc/c"],
                     "go": "./cmd", "output": "oci:out:v1"})");
  ASSERT_THAT(r, IsOk());
  const BuildOptions o = ToText((*r)[0].spec);
  EXPECT_THAT(o.binaries, ElementsAre(Pair("linux/amd64", "out/app")));
  EXPECT_EQ(o.files, (Strings{"c:/etc/c"}));
  EXPECT_EQ(o.output, "oci:out:v1");
  EXPECT_EQ(o.go_dir, "");
}

TEST(BuildFileTest, UnknownKeysNameTheirPath) {
  EXPECT_THAT(
      Parse(R"({"images": [{"output": "oci:/a"}, {"platfroms": ["linux/amd64"]}]})"),
      StatusIs(ErrorCode::kInvalidArgument,
               "ocib.json: images[1].platfroms: unknown key (did you mean \"platforms\"?)"));
  EXPECT_THAT(Parse(R"({"images": [{"output": "oci:/a"}], "version": 1})"),
              StatusIs(ErrorCode::kInvalidArgument, StartsWith("ocib.json: version: unknown key")));
  // A top-level image key beside "images" is not merged into the images.
  EXPECT_THAT(Parse(R"({"images": [{"output": "oci:/a"}], "env": {}})"),
              StatusIs(ErrorCode::kInvalidArgument, AllOf(StartsWith("ocib.json: env: unknown key"),
                                                          HasSubstr("no other top-level key"))));
  EXPECT_THAT(Parse(R"({"outptu": "oci:/a"})"),
              StatusIs(ErrorCode::kInvalidArgument,
                       "ocib.json: outptu: unknown key (did you mean \"output\"?)"));
  // Short misspellings are measured against every key in full: "zq" is two
  // edits from "go" and more from every longer key.
  EXPECT_THAT(Parse(R"({"images": [{"zq": 1}]})"),
              StatusIs(ErrorCode::kInvalidArgument,
                       "ocib.json: images[0].zq: unknown key (did you mean \"go\"?)"));
  EXPECT_THAT(Parse(R"({"images": [{"tgas": ["a"]}]})"),
              StatusIs(ErrorCode::kInvalidArgument,
                       "ocib.json: images[0].tgas: unknown key (did you mean \"tags\"?)"));
  EXPECT_THAT(Parse(R"({"images": [{"zzzzzzzz": 1}]})"),
              StatusIs(ErrorCode::kInvalidArgument, "ocib.json: images[0].zzzzzzzz: unknown key"));
  EXPECT_THAT(Parse(R"({"images": [{"a.b": 1}]})"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("images[0][\"a.b\"]: unknown key")));
  // Keys are case-sensitive.
  EXPECT_THAT(Parse(R"({"Output": "oci:/a"})"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("Output: unknown key")));
}

TEST(BuildFileTest, WrongTypesNameTheirPath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"images": [{"platforms": ["linux/amd64", "linux/arm64", 7]}]})",
       "images[0].platforms[2]: expected a string, got number"},
      {R"({"images": [{"platforms": "linux/amd64"}]})",
       "images[0].platforms: expected an array, got string"},
      {R"({"images": [{"binaries": ["linux/amd64=x"]}]})",
       "images[0].binaries: expected an object, got array"},
      {R"({"images": [{"binaries": {"linux/amd64": true}}]})",
       "images[0].binaries[\"linux/amd64\"]: expected a string, got boolean"},
      {R"({"images": [{"env": {"A": 1}}]})", "images[0].env.A: expected a string, got number"},
      {R"({"images": [{"env": ["A=1"]}]})", "images[0].env: expected an object, got array"},
      {R"({"images": [{"labels": {"org.example.x": {}}}]})",
       "images[0].labels[\"org.example.x\"]: expected a string, got object"},
      {R"({"images": [{"annotations": "x"}]})",
       "images[0].annotations: expected an object, got string"},
      {R"({"images": [{"entrypoint": "/app"}]})",
       "images[0].entrypoint: expected an array, got string"},
      {R"({"images": [{"cmd": [null]}]})", "images[0].cmd[0]: expected a string, got null"},
      {R"({"images": [{"files": [["a", "b"]]}]})",
       "images[0].files[0]: expected a string, got array"},
      {R"({"images": [{"expose": [8080]}]})", "images[0].expose[0]: expected a string, got number"},
      {R"({"images": [{"go_flags": "-v"}]})", "images[0].go_flags: expected an array, got string"},
      {R"({"images": [{"tags": [1]}]})", "images[0].tags[0]: expected a string, got number"},
      {R"({"images": [{"user": 1000}]})", "images[0].user: expected a string, got number"},
      {R"({"images": [{"workdir": null}]})", "images[0].workdir: expected a string, got null"},
      {R"({"images": [{"base": false}]})", "images[0].base: expected a string, got boolean"},
      {R"({"images": [{"base_name": 1}]})", "images[0].base_name: expected a string, got number"},
      {R"({"images": [{"go": []}]})", "images[0].go: expected a string, got array"},
      {R"({"images": [{"go_dir": 1}]})", "images[0].go_dir: expected a string, got number"},
      {R"({"images": [{"go_ldflags": []}]})", "images[0].go_ldflags: expected a string, got array"},
      {R"({"images": [{"binary_path": 1}]})",
       "images[0].binary_path: expected a string, got number"},
      {R"({"images": [{"compression": 3}]})",
       "images[0].compression: expected a string, got number"},
      {R"({"images": [{"compression_level": "9"}]})",
       "images[0].compression_level: expected an integer, got string"},
      {R"({"images": [{"compression_level": 1.5}]})",
       "images[0].compression_level: expected an integer, got number"},
      {R"({"images": [{"compression_level": 99999999999}]})",
       "images[0].compression_level: out of range"},
      {R"({"images": [{"output": ["oci:/o"]}]})", "images[0].output: expected a string, got array"},
      {R"({"images": [{"sbom": true}]})", "images[0].sbom: expected a string, got boolean"},
      {R"({"images": [{"name": 1}]})", "images[0].name: expected a string, got number"},
      {R"({"images": [{}, "x"]})", "images[1]: expected an object, got string"},
      {R"({"images": {}})", "images: expected an array, got object"},
      {R"({"images": []})", "images: empty: give at least one image"},
      {R"([{"output": "oci:/o"}])", "top level: expected an object, got array"},
      {R"("x")", "top level: expected an object, got string"},
  };
  for (const auto& [json, want] : cases) {
    EXPECT_THAT(Parse(json), StatusIs(ErrorCode::kInvalidArgument, "ocib.json: " + want)) << json;
  }
}

TEST(BuildFileTest, BadValuesNameTheirPath) {
  const std::vector<std::pair<std::string, std::string>> cases = {
      {R"({"images": [{"platforms": ["linux/amd64", "linux"]}]})", "images[0].platforms[1]: "},
      {R"({"images": [{"binaries": {"linux/amd64": "a", "plan9": "b"}}]})",
       "images[0].binaries.plan9: "},
      {R"({"images": [{"binaries": {"linux/amd64": ""}}]})",
       "images[0].binaries[\"linux/amd64\"]: empty path"},
      {R"({"images": [{"files": ["a:/a", "nodest"]}]})",
       "images[0].files[1]: \"nodest\": want SRC:DEST"},
      {R"({"images": [{"files": [":/a"]}]})", "images[0].files[0]: "},
      {R"({"images": [{"compression": "lz4"}]})", "images[0].compression: "},
      {R"({"images": [{"output": "oci:"}]})", "images[0].output: "},
      {R"({"images": [{"output": "oci:/o:bad tag"}]})", "images[0].output: "},
      {R"({"images": [{"base": "oci:/b:bad tag"}]})", "images[0].base: "},
      {R"({"images": [{"env": {"A=B": "c"}}]})",
       "images[0].env[\"A=B\"]: a key must be non-empty and contain no '='"},
      {R"({"images": [{"labels": {"": "c"}}]})", "images[0].labels[\"\"]: a key must be"},
      {R"({"images": [{"name": ""}]})", "images[0].name: empty name"},
  };
  for (const auto& [json, want] : cases) {
    EXPECT_THAT(Parse(json),
                StatusIs(ErrorCode::kInvalidArgument, StartsWith("ocib.json: " + want)))
        << json;
  }
  // "all" is left to BuildImage (it needs "go").
  EXPECT_THAT(Parse(R"({"platforms": ["all"], "go": "."})"), IsOk());
}

TEST(BuildFileTest, MalformedJsonGivesLineAndColumn) {
  EXPECT_THAT(
      Parse("{\"images\": [\n  {\"output\": \"oci:/o\",}\n]}"),
      StatusIs(ErrorCode::kInvalidArgument, AllOf(StartsWith("ocib.json: not valid JSON: "),
                                                  HasSubstr("line 2"), HasSubstr("column"))));
  EXPECT_THAT(Parse(""), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not valid JSON")));
  // Comments are not JSON.
  EXPECT_THAT(Parse("// x\n{}"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not valid JSON")));
  EXPECT_THAT(Parse("{} {}"), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not valid JSON")));
}

TEST(BuildFileTest, DuplicateKeysAreErrors) {
  EXPECT_THAT(
      Parse(R"({"images": [{"output": "oci:/a"},
                                   {"labels": {"a": "1", "b": "2", "a": "3"}}]})"),
      StatusIs(ErrorCode::kInvalidArgument, "ocib.json: images[1].labels.a: duplicate key"));
  EXPECT_THAT(Parse(R"({"output": "oci:/a", "output": "oci:/b"})"),
              StatusIs(ErrorCode::kInvalidArgument, "ocib.json: output: duplicate key"));
  EXPECT_THAT(Parse(R"({"images": [{"platforms": ["linux/amd64", "linux/arm64"],
                                    "files": ["a:/a"], "files": []}]})"),
              StatusIs(ErrorCode::kInvalidArgument, "ocib.json: images[0].files: duplicate key"));
  EXPECT_THAT(Parse(R"({"images": [], "images": []})"),
              StatusIs(ErrorCode::kInvalidArgument, "ocib.json: images: duplicate key"));
  // The same key in different objects is fine.
  EXPECT_THAT(Parse(R"({"images": [{"env": {"A": "1"}, "labels": {"A": "1"}, "output": "oci:/a"},
                                   {"env": {"A": "1"}, "output": "oci:/b"}]})"),
              IsOk());
}

TEST(BuildFileTest, NamesOutputsAndTagsAreDistinct) {
  EXPECT_THAT(Parse(R"({"images": [{"name": "x", "output": "oci:/a"},
                                   {"name": "x", "output": "oci:/b"}]})"),
              StatusIs(ErrorCode::kInvalidArgument,
                       "ocib.json: images[1].name: \"x\" is also the name of images[0]"));
  // oci:DIR means oci:DIR:latest.
  EXPECT_THAT(
      Parse(R"({"images": [{"output": "oci:/a/out"}, {"output": "oci:/a/./out/:latest"}]})"),
      StatusIs(ErrorCode::kInvalidArgument,
               "ocib.json: images[1] and images[0] both write oci:/a/out:latest"));
  EXPECT_THAT(Parse(R"({"images": [{"output": "oci-archive:/a.tar:x"},
                                   {"output": "oci-archive:/a.tar:y"}]})"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("both write oci-archive:/a.tar")));
  EXPECT_THAT(Parse(R"({"images": [{"tags": ["r.example/a:1"]}, {"tags": ["r.example/a:1"]}]})"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("both write r.example/a:1")));
  // One layout, two tags: fine.
  EXPECT_THAT(Parse(R"({"images": [{"output": "oci:/a:x"}, {"output": "oci:/a:y"}]})"), IsOk());
}

TEST(BuildFileTest, BuildFileFieldsAreTheKeys) {
  EXPECT_EQ(BuildFileFields(), (Strings{"base",
                                        "base_name",
                                        "platforms",
                                        "binaries",
                                        "go",
                                        "go_dir",
                                        "go_flags",
                                        "go_ldflags",
                                        "binary_path",
                                        "binary_unchecked",
                                        "files",
                                        "entrypoint",
                                        "cmd",
                                        "env",
                                        "labels",
                                        "annotations",
                                        "expose",
                                        "user",
                                        "workdir",
                                        "compression",
                                        "compression_level",
                                        "output",
                                        "sbom",
                                        "tags"}));
}

class OverridesTest : public ::testing::Test {
 protected:
  void SetUp() override {
    auto r = Parse(R"({"images": [
      {"name": "a", "labels": {"tier": "web", "team": "x"}, "env": {"A": "1"},
       "platforms": ["linux/amd64", "linux/arm64"], "user": "1:1", "output": "oci:/o:a"},
      {"name": "b", "labels": {"tier": "db"}, "entrypoint": ["/b"], "output": "oci:/o:b"}]})");
    ASSERT_THAT(r, IsOk());
    images_ = *r;
  }
  std::vector<BuildFileImage> images_;
};

TEST_F(OverridesTest, AGivenFlagReplacesTheFieldOfEveryImage) {
  BuildOptions flags;
  flags.labels = {"tier=cli"};
  flags.env = {"IGNORED=1"};  // not given: the file's value stays
  flags.entrypoint = Strings{"/x", "y"};
  flags.platforms = {"linux/arm64"};
  ASSERT_THAT(ApplyOverrides(images_, SpecOrDie(flags), {"labels", "entrypoint", "platforms"}),
              IsOk());
  ASSERT_EQ(images_.size(), 2u);
  // Replaced, not appended.
  EXPECT_EQ(ToText(images_[0].spec).labels, (Strings{"tier=cli"}));
  EXPECT_EQ(ToText(images_[1].spec).labels, (Strings{"tier=cli"}));
  EXPECT_EQ(ToText(images_[0].spec).entrypoint, std::optional<Strings>(Strings{"/x", "y"}));
  EXPECT_EQ(ToText(images_[1].spec).entrypoint, std::optional<Strings>(Strings{"/x", "y"}));
  EXPECT_EQ(ToText(images_[0].spec).platforms, (Strings{"linux/arm64"}));
  // Not given: the file's.
  EXPECT_EQ(ToText(images_[0].spec).env, (Strings{"A=1"}));
  EXPECT_TRUE(ToText(images_[1].spec).env.empty());
  EXPECT_EQ(ToText(images_[0].spec).user, std::optional<std::string>("1:1"));
  EXPECT_FALSE(ToText(images_[1].spec).user.has_value());
  EXPECT_EQ(ToText(images_[0].spec).output, "oci:/o:a");
  EXPECT_EQ(ToText(images_[1].spec).output, "oci:/o:b");
  EXPECT_EQ(images_[1].name, "b");
  EXPECT_EQ(images_[1].label, "images[1] (b)");
}

TEST_F(OverridesTest, AGivenEmptyListClearsTheFilesList) {
  BuildOptions flags;
  ASSERT_THAT(ApplyOverrides(images_, SpecOrDie(flags), {"labels"}), IsOk());
  EXPECT_TRUE(ToText(images_[0].spec).labels.empty());
}

TEST_F(OverridesTest, FieldsTheFileCannotSetComeFromTheFlags) {
  BuildOptions flags;
  flags.source_date_epoch = 1700000000;
  flags.cache_dir = "/cache";
  flags.no_cache = true;
  int logged = 0;
  flags.log = [&logged](std::string_view) { ++logged; };
  ASSERT_THAT(ApplyOverrides(images_, SpecOrDie(flags), {}), IsOk());
  for (const auto& image : images_) {
    EXPECT_EQ(ToText(image.spec).source_date_epoch, std::optional<int64_t>(1700000000));
    EXPECT_EQ(ToText(image.spec).cache_dir, "/cache");
    EXPECT_TRUE(ToText(image.spec).no_cache);
    ASSERT_TRUE(ToText(image.spec).log);
    ToText(image.spec).log("x");
  }
  EXPECT_EQ(logged, 2);
  EXPECT_EQ(ToText(images_[0].spec).labels, (Strings{"tier=web", "team=x"}));
}

TEST_F(OverridesTest, FlagPathsAreKeptAsGiven) {
  BuildOptions flags;
  flags.binaries = {{"linux/amd64", "rel/app"}};
  flags.files = {"rel/conf:/etc/conf"};
  ASSERT_THAT(ApplyOverrides(images_, SpecOrDie(flags), {"binaries", "files"}), IsOk());
  EXPECT_THAT(ToText(images_[1].spec).binaries, ElementsAre(Pair("linux/amd64", "rel/app")));
  EXPECT_EQ(ToText(images_[1].spec).files, (Strings{"rel/conf:/etc/conf"}));
}

TEST_F(OverridesTest, UnknownFieldsAndCollidingOutputsAreErrors) {
  auto before = images_;
  BuildOptions flags;
  flags.labels = {"x=y"};
  EXPECT_THAT(ApplyOverrides(images_, SpecOrDie(flags), {"labels", "label"}),
              StatusIs(ErrorCode::kInvalidArgument, "\"label\" is not a build file field"));
  EXPECT_THAT(ApplyOverrides(images_, SpecOrDie(flags), {"name"}),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("\"name\" is not")));
  EXPECT_EQ(ToText(images_[0].spec).labels, ToText(before[0].spec).labels);
  flags.output = "oci:/same:v1";
  EXPECT_THAT(ApplyOverrides(images_, SpecOrDie(flags), {"labels", "output"}),
              StatusIs(ErrorCode::kInvalidArgument,
                       "images[1] (b) and images[0] (a) both write oci:/same:v1"));
  // Nothing changed.
  EXPECT_EQ(ToText(images_[0].spec).labels, ToText(before[0].spec).labels);
  EXPECT_EQ(ToText(images_[0].spec).output, "oci:/o:a");
  // With one image, --output is fine.
  images_.pop_back();
  ASSERT_THAT(ApplyOverrides(images_, SpecOrDie(flags), {"output"}), IsOk());
  EXPECT_EQ(ToText(images_[0].spec).output, "oci:/same:v1");
}

TEST(LoadBuildFileTest, ReadsAFileAndResolvesAgainstItsDirectory) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/ci/ocib.json",
                 R"({"binaries": {"linux/amd64": "bin/app"}, "output": "oci:out"})");
  auto r = LoadBuildFile(tmp.path() + "/ci/ocib.json");
  ASSERT_THAT(r, IsOk());
  EXPECT_THAT(ToText((*r)[0].spec).binaries,
              ElementsAre(Pair("linux/amd64", tmp.path() + "/ci/bin/app")));
  EXPECT_EQ(ToText((*r)[0].spec).output, "oci:" + tmp.path() + "/ci/out");

  WriteFileOrDie(tmp.path() + "/bad.json", R"({"images": [{"platfroms": []}]})");
  EXPECT_THAT(LoadBuildFile(tmp.path() + "/bad.json"),
              StatusIs(ErrorCode::kInvalidArgument,
                       StartsWith(tmp.path() + "/bad.json: images[0].platfroms: unknown key")));
  EXPECT_THAT(LoadBuildFile(tmp.path() + "/missing.json"),
              StatusIs(ErrorCode::kNotFound, HasSubstr("missing.json")));
}

TEST(LoadBuildFileTest, ImagesBuildFromAnyDirectory) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/proj/bin/app-amd64", std::string(3000, 'a'));
  WriteFileOrDie(tmp.path() + "/proj/bin/app-arm64", std::string(3000, 'b'));
  WriteFileOrDie(tmp.path() + "/proj/conf/app.conf", "x=1\n");
  WriteFileOrDie(tmp.path() + "/proj/ocib.json", R"({"images": [
    {"name": "multi", "binaries": {"linux/amd64": "bin/app-amd64", "linux/arm64": "bin/app-arm64"},
     "files": ["conf:/etc/app"], "sbom": "none", "output": "oci:out/layout:multi",
     "binary_unchecked": true},
    {"name": "one", "binaries": {"linux/amd64": "bin/app-amd64"}, "env": {"MODE": "one"},
     "sbom": "none", "output": "oci:out/layout:one", "binary_unchecked": true}]})");
  auto images = LoadBuildFile(tmp.path() + "/proj/ocib.json");
  ASSERT_THAT(images, IsOk());
  BuildOptions flags;
  flags.source_date_epoch = 1700000000;
  flags.no_cache = true;
  ASSERT_THAT(ApplyOverrides(*images, SpecOrDie(flags), {}), IsOk());
  for (const auto& image : *images) ASSERT_THAT(BuildImage(image.spec), IsOk()) << image.label;
  auto layout = OciLayout::Open(tmp.path() + "/proj/out/layout");
  ASSERT_THAT(layout, IsOk());
  EXPECT_THAT((*layout)->Resolve("multi"), IsOk());
  EXPECT_THAT((*layout)->Resolve("one"), IsOk());
}

}  // namespace
}  // namespace ocib
