// Tests for lib/builder/input_checks.h: paths, collisions, whiteouts,
// binary platforms and base directories.
#include "lib/builder/input_checks.h"

#include "ocib/oci_layout.h"

#include "test/testing/elf_header.h"
#include "test/testing/test_util.h"

namespace ocib::build {
namespace {

using ::ocib::testing::ElfFor;
using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::AllOf;
using ::testing::HasSubstr;

TEST(ImagePathTest, NameAndPathLengthLimits) {
  EXPECT_THAT(CheckImagePath("etc/" + std::string(255, 'n'), "input x"), IsOk());
  EXPECT_THAT(CheckImagePath("etc/" + std::string(256, 'n') + "/f", "input x"),
              StatusIs(ErrorCode::kInvalidArgument,
                       AllOf(HasSubstr("input x"), HasSubstr("256 bytes"), HasSubstr("255"))));
  // "/" + 4094 bytes = 4095: the longest path; one more is refused.
  std::string deep;
  while (deep.size() < 4094)
    deep += std::string(std::min<size_t>(100, 4094 - deep.size() - 1), 'd') + "/";
  deep.pop_back();
  deep += "x";
  ASSERT_EQ(deep.size(), 4094u);
  EXPECT_THAT(CheckImagePath(deep, "input x"), IsOk());
  EXPECT_THAT(CheckImagePath(deep + "y", "input x"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("4096 bytes long")));
}

TEST(ImagePathTest, WhiteoutNamesAreRefused) {
  EXPECT_THAT(CheckImagePath("etc/.wh.passwd", "in"),
              StatusIs(ErrorCode::kInvalidArgument,
                       AllOf(HasSubstr("/etc/.wh.passwd"), HasSubstr("\"passwd\""))));
  EXPECT_THAT(CheckImagePath("srv/.wh..wh..opq", "in"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("whole directory")));
  EXPECT_THAT(CheckImagePath(".wh.dir/file", "in"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("whiteout")));
  EXPECT_THAT(CheckImagePath("srv/.whx/.wh", "in"), IsOk());
}

class FileInputsTest : public ::testing::Test {
 protected:
  FileInput Input(const std::string& src, const std::string& dest) {
    FileInput in{src + ":" + dest, FileTree()};
    EXPECT_THAT(in.tree.AddHostPath(tmp_.path() + "/" + src, dest), IsOk());
    return in;
  }
  ScopedTempDir tmp_;
};

TEST_F(FileInputsTest, TwoInputsAtOneDestinationNameBoth) {
  WriteFileOrDie(tmp_.path() + "/a", "a");
  WriteFileOrDie(tmp_.path() + "/b", "b");
  std::vector<FileInput> in;
  in.push_back(Input("a", "/etc/app.conf"));
  in.push_back(Input("b", "/etc/app.conf"));
  EXPECT_THAT(CheckFileInputs(in, "app"),
              StatusIs(ErrorCode::kInvalidArgument,
                       AllOf(HasSubstr("\"a:/etc/app.conf\""), HasSubstr("\"b:/etc/app.conf\""),
                             HasSubstr("both put /etc/app.conf"))));
}

TEST_F(FileInputsTest, DirectoriesMergeButNotTheirFiles) {
  WriteFileOrDie(tmp_.path() + "/d1/x", "1");
  WriteFileOrDie(tmp_.path() + "/d2/y", "2");
  WriteFileOrDie(tmp_.path() + "/d3/x", "3");
  std::vector<FileInput> ok;
  ok.push_back(Input("d1", "/srv"));
  ok.push_back(Input("d2", "/srv"));
  EXPECT_THAT(CheckFileInputs(ok, "app"), IsOk());
  ok.push_back(Input("d3", "/srv"));
  EXPECT_THAT(CheckFileInputs(ok, "app"),
              StatusIs(ErrorCode::kInvalidArgument,
                       AllOf(HasSubstr("d1:/srv"), HasSubstr("d3:/srv"), HasSubstr("/srv/x"))));
}

TEST_F(FileInputsTest, AFileWhereAnotherInputPutsADirectory) {
  WriteFileOrDie(tmp_.path() + "/f", "f");
  WriteFileOrDie(tmp_.path() + "/d/x", "x");
  std::vector<FileInput> in;
  in.push_back(Input("f", "/srv"));
  in.push_back(Input("d", "/srv"));
  EXPECT_THAT(CheckFileInputs(in, "app"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("f:/srv")));
  std::vector<FileInput> below;
  below.push_back(Input("f", "/opt/conf"));
  below.push_back(Input("d", "/opt/conf/sub"));
  EXPECT_THAT(CheckFileInputs(below, "app"),
              StatusIs(ErrorCode::kInvalidArgument,
                       AllOf(HasSubstr("f:/opt/conf"), HasSubstr("d:/opt/conf/sub"))));
}

TEST_F(FileInputsTest, NothingAtAboveOrBelowTheBinaryPath) {
  WriteFileOrDie(tmp_.path() + "/f", "f");
  WriteFileOrDie(tmp_.path() + "/root/app", "x");
  WriteFileOrDie(tmp_.path() + "/root/bin/x", "x");
  std::vector<FileInput> same;
  same.push_back(Input("f", "/usr/bin/app"));
  EXPECT_THAT(CheckFileInputs(same, "usr/bin/app"),
              StatusIs(ErrorCode::kInvalidArgument,
                       AllOf(HasSubstr("f:/usr/bin/app"), HasSubstr("where the binary goes"))));
  std::vector<FileInput> inside;
  inside.push_back(Input("root", "/opt"));
  EXPECT_THAT(
      CheckFileInputs(inside, "opt/app"),
      StatusIs(ErrorCode::kInvalidArgument, HasSubstr("puts /opt/app where the binary goes")));
  std::vector<FileInput> parent;
  parent.push_back(Input("f", "/usr/bin"));
  EXPECT_THAT(CheckFileInputs(parent, "usr/bin/app"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("/usr/bin")));
  // A directory that holds the binary's directory is fine.
  EXPECT_THAT(CheckFileInputs(inside, "opt/bin/app"), IsOk());
}

TEST_F(FileInputsTest, WhiteoutAnywhereInATreeIsRefused) {
  WriteFileOrDie(tmp_.path() + "/t/sub/.wh.passwd", "");
  std::vector<FileInput> in;
  in.push_back(Input("t", "/etc"));
  EXPECT_THAT(CheckFileInputs(in, "app"),
              StatusIs(ErrorCode::kInvalidArgument,
                       AllOf(HasSubstr("t:/etc"), HasSubstr("/etc/sub/.wh.passwd"))));
}

class BinaryPlatformTest : public ::testing::Test {
 protected:
  std::string Write(const std::string& name, const std::string& bytes) {
    WriteFileOrDie(tmp_.path() + "/" + name, bytes);
    return tmp_.path() + "/" + name;
  }
  static Platform P(const char* text) { return *Platform::Parse(text); }
  ScopedTempDir tmp_;
};

TEST_F(BinaryPlatformTest, EachArchitectureMatchesItsPlatform) {
  for (const char* p : {"linux/amd64", "linux/arm64", "linux/arm/v6", "linux/arm/v7", "linux/386",
                        "linux/ppc64le", "linux/s390x", "linux/riscv64"}) {
    Platform platform = P(p);
    EXPECT_THAT(CheckBinaryPlatform(Write("bin", ElfFor(platform.architecture)), platform), IsOk())
        << p;
  }
}

TEST_F(BinaryPlatformTest, WrongBinariesAreRefusedNamingThePath) {
  std::string arm64 = Write("arm64", ElfFor("arm64"));
  EXPECT_THAT(
      CheckBinaryPlatform(arm64, P("linux/amd64")),
      StatusIs(ErrorCode::kInvalidArgument, AllOf(HasSubstr(arm64), HasSubstr("not linux/amd64"))));
  std::string amd64 = Write("amd64", ElfFor("amd64"));
  EXPECT_THAT(CheckBinaryPlatform(amd64, P("windows/amd64")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("windows cannot run")));
  std::string script = Write("script", "#!/bin/sh\necho hi\n");
  EXPECT_THAT(
      CheckBinaryPlatform(script, P("linux/amd64")),
      StatusIs(ErrorCode::kInvalidArgument, AllOf(HasSubstr(script), HasSubstr("not an ELF"))));
  // A file shorter than an ELF header, and an empty one.
  EXPECT_THAT(CheckBinaryPlatform(Write("short", ElfFor("amd64").substr(0, 20)), P("linux/amd64")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("cut short")));
  EXPECT_THAT(CheckBinaryPlatform(Write("empty", ""), P("linux/amd64")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not an ELF")));
  // Windows binaries are not read: a non-ELF file is accepted there.
  EXPECT_THAT(CheckBinaryPlatform(Write("app.exe", "MZ\x90"), P("windows/amd64")), IsOk());
}

// Builds a real Go binary for GOOS/GOARCH/GOARM when `go` is installed.
class GoBinaryPlatformTest : public BinaryPlatformTest {
 protected:
  std::string GoBuild(const std::string& env, const std::string& name) {
    if (std::system("command -v go >/dev/null 2>&1") != 0) return "";
    std::string out = tmp_.path() + "/" + name;
    std::string cmd =
        "cd " + ocib::testing::FixturePath("go/hello") + " && " + env +
        " CGO_ENABLED=0 GOFLAGS=-mod=mod GOPROXY=off GOCACHE=" + std::string(OCIB_BINARY_DIR) +
        "/gocache GOPATH=" + tmp_.path() + "/gopath go build -trimpath -o " + out +
        " . >/dev/null 2>&1";
    return std::system(cmd.c_str()) == 0 ? out : "";
  }
};

TEST_F(GoBinaryPlatformTest, GoarmAboveTheVariantIsRefused) {
  std::string v7 = GoBuild("GOOS=linux GOARCH=arm GOARM=7", "arm7");
  if (v7.empty()) GTEST_SKIP() << "go is not installed or cannot build fixtures/go/hello";
  EXPECT_THAT(CheckBinaryPlatform(v7, P("linux/arm/v7")), IsOk());
  EXPECT_THAT(CheckBinaryPlatform(v7, P("linux/arm")), IsOk());
  EXPECT_THAT(CheckBinaryPlatform(v7, P("linux/arm/v6")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("GOARM=7")));
  std::string v6 = GoBuild("GOOS=linux GOARCH=arm GOARM=6", "arm6");
  ASSERT_FALSE(v6.empty());
  EXPECT_THAT(CheckBinaryPlatform(v6, P("linux/arm/v6")), IsOk());
  EXPECT_THAT(CheckBinaryPlatform(v6, P("linux/arm/v7")), IsOk());
}

TEST(LayerDirectoriesTest, WhiteoutsAndFilesHideLowerDirectories) {
  ScopedTempDir tmp;
  auto layout = OciLayout::OpenOrCreate(tmp.path() + "/l");
  ASSERT_THAT(layout, IsOk());
  LayerOptions o;
  o.compression = Compression::kGzip;
  FileTree lower;
  ASSERT_THAT(lower.AddDirectory("tmp", 01777), IsOk());
  ASSERT_THAT(lower.AddDirectory("opt/a", 0755), IsOk());
  ASSERT_THAT(lower.AddDirectory("srv/old", 0755), IsOk());
  ASSERT_THAT(lower.AddDirectory("var/x", 0755), IsOk());
  ASSERT_THAT(lower.AddDirectory(std::string(200, 'l') + "/" + std::string(200, 'm'), 0755),
              IsOk());
  FileTree upper;
  ASSERT_THAT(upper.AddFile("opt/.wh.a", "", 0644), IsOk());
  ASSERT_THAT(upper.AddFile("srv/.wh..wh..opq", "", 0644), IsOk());
  ASSERT_THAT(upper.AddDirectory("srv/new", 0755), IsOk());
  ASSERT_THAT(upper.AddFile("var/x", "now a file", 0644), IsOk());
  auto l1 = BuildLayer(lower, **layout, o);
  auto l2 = BuildLayer(upper, **layout, o);
  ASSERT_THAT(l1, IsOk());
  ASSERT_THAT(l2, IsOk());
  auto dirs = LayerDirectories(**layout, {l1->descriptor});
  ASSERT_THAT(dirs, IsOk());
  EXPECT_TRUE(dirs->complete);
  EXPECT_TRUE(dirs->dirs.contains("tmp"));
  EXPECT_TRUE(dirs->dirs.contains("opt/a"));
  EXPECT_TRUE(dirs->dirs.contains(std::string(200, 'l') + "/" + std::string(200, 'm')));
  auto only_upper = LayerDirectories(**layout, {l2->descriptor});
  ASSERT_THAT(only_upper, IsOk());
  EXPECT_EQ(only_upper->dirs, (std::set<std::string>{"srv/new"}));
  auto both = LayerDirectories(**layout, {l1->descriptor, l2->descriptor});
  ASSERT_THAT(both, IsOk());
  EXPECT_TRUE(both->complete);
  EXPECT_TRUE(both->dirs.contains("tmp"));
  EXPECT_FALSE(both->dirs.contains("opt/a"));
  EXPECT_FALSE(both->dirs.contains("srv/old"));
  EXPECT_TRUE(both->dirs.contains("srv/new"));
  EXPECT_FALSE(both->dirs.contains("var/x"));
  // A layer the store lacks (lent by a registry) is skipped: incomplete.
  Descriptor absent = l1->descriptor;
  absent.digest = Digest::Sha256Of("not stored");
  auto partial = LayerDirectories(**layout, {absent, l2->descriptor});
  ASSERT_THAT(partial, IsOk());
  EXPECT_FALSE(partial->complete);
  EXPECT_EQ(partial->dirs, (std::set<std::string>{"srv/new"}));
}

}  // namespace
}  // namespace ocib::build
