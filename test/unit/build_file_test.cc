#include "ocib/build_file.h"

#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ocib/image_builder.h"
#include "ocib/layer.h"
#include "ocib/oci_layout.h"

#include "test/testing/build_options.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::BuildOptions;
using ::ocib::testing::SpecOrDie;
using ::ocib::testing::ToText;

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::AllOf;
using ::testing::ElementsAre;
using ::testing::HasSubstr;
using ::testing::Pair;
using ::testing::StartsWith;

using Strings = std::vector<std::string>;

Result<std::vector<BuildFileImage>> Parse(std::string_view json, std::string_view base_dir = "") {
  return ParseBuildFile(json, "ocib.json", base_dir);
}

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
