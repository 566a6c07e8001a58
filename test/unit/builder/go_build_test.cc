// `go build` per platform (lib/builder/go_build.cc): the GOOS/GOARCH/GOARM/
// GOAMD64 environment of each platform, and GoBuildAll run against a fake
// `go` on PATH (a shell script that records its arguments, environment and
// directory), so no toolchain is needed.
#include "lib/builder/go_build.h"

#include <cstdlib>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib::build {
namespace {

using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::WriteFileOrDie;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

std::vector<std::string> EnvFor(const char* platform) {
  return GoEnvFor(*Platform::Parse(platform));
}

// GOOS and GOARCH always; GOARM from arm's variant (7 without one); GOAMD64
// only for an amd64 variant above v1.
TEST(GoEnvForTest, VariantsBecomeGoarmAndGoamd64) {
  EXPECT_THAT(EnvFor("linux/amd64"), ElementsAre("GOOS=linux", "GOARCH=amd64"));
  EXPECT_THAT(EnvFor("linux/amd64/v1"), ElementsAre("GOOS=linux", "GOARCH=amd64"));
  EXPECT_THAT(EnvFor("linux/amd64/v3"), ElementsAre("GOOS=linux", "GOARCH=amd64", "GOAMD64=v3"));
  EXPECT_THAT(EnvFor("linux/arm/v6"), ElementsAre("GOOS=linux", "GOARCH=arm", "GOARM=6"));
  EXPECT_THAT(EnvFor("linux/arm"), ElementsAre("GOOS=linux", "GOARCH=arm", "GOARM=7"));
  EXPECT_THAT(EnvFor("linux/arm64/v8"), ElementsAre("GOOS=linux", "GOARCH=arm64"));
  EXPECT_THAT(EnvFor("windows/386"), ElementsAre("GOOS=windows", "GOARCH=386"));
}

// Sets an environment variable (or unsets it) for the scope.
class ScopedVar {
 public:
  ScopedVar(const char* name, const std::optional<std::string>& value) : name_(name) {
    if (const char* old = std::getenv(name)) old_ = old;
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  }
  ~ScopedVar() {
    if (old_) {
      ::setenv(name_, old_->c_str(), 1);
    } else {
      ::unsetenv(name_);
    }
  }
  ScopedVar(const ScopedVar&) = delete;
  ScopedVar& operator=(const ScopedVar&) = delete;

 private:
  const char* name_;
  std::optional<std::string> old_;
};

// A fake `go`: writes "<output>.args" (one argument a line, then the
// variables and directory it saw) and the output binary; fails with exit 3
// for GOARCH=s390x.
constexpr char kFakeGo[] = R"SH(#!/bin/sh
out=""
prev=""
for a in "$@"; do
  if [ "$prev" = "-o" ]; then out="$a"; fi
  prev="$a"
done
{
  printf '%s\n' "$@"
  echo "env GOOS=$GOOS GOARCH=$GOARCH GOARM=$GOARM GOAMD64=$GOAMD64 CGO_ENABLED=$CGO_ENABLED"
  echo "dir $(pwd -P)"
} > "$out.args"
if [ "$GOARCH" = "s390x" ]; then
  echo "cannot build for s390x" >&2
  exit 3
fi
printf 'binary %s/%s' "$GOOS" "$GOARCH" > "$out"
)SH";

class GoBuildAllTest : public ::testing::Test {
 protected:
  void SetUp() override {
    bin_ = tmp_.path() + "/bin";
    out_ = tmp_.path() + "/out";
    src_ = tmp_.path() + "/src";
    std::filesystem::create_directories(out_);
    std::filesystem::create_directories(src_);
    WriteFileOrDie(bin_ + "/go", kFakeGo);
    ASSERT_EQ(::chmod((bin_ + "/go").c_str(), 0755), 0);
    spec_.go_package = "./cmd/app";
    spec_.go_dir = src_;
  }

  std::vector<std::string> Lines(const std::string& path) {
    std::vector<std::string> lines;
    std::string text = ReadFileOrDie(path);
    size_t start = 0;
    while (start < text.size()) {
      size_t nl = text.find('\n', start);
      lines.push_back(text.substr(start, nl - start));
      start = nl + 1;
    }
    return lines;
  }

  ScopedTempDir tmp_;
  std::string bin_, out_, src_;
  BuildSpec spec_;
};

// One binary per platform, named after it, in platform order; each built
// with -trimpath -buildvcs=false, the ldflags and extra flags before the
// package, the platform's environment, CGO_ENABLED=0, in go_dir.
TEST_F(GoBuildAllTest, BuildsEachPlatformWithItsEnvironment) {
  ScopedVar path("PATH", bin_ + ":/usr/bin:/bin");
  ScopedVar cgo("CGO_ENABLED", std::nullopt);
  spec_.go_ldflags = "-s -w";
  spec_.go_flags = {"-tags=netgo"};
  std::vector<std::string> logged;
  spec_.log = [&logged](std::string_view line) { logged.emplace_back(line); };
  auto built =
      GoBuildAll(spec_, {*Platform::Parse("linux/arm/v7"), *Platform::Parse("linux/amd64")}, out_);
  ASSERT_TRUE(built) << built.error().ToString();
  EXPECT_THAT(*built, ElementsAre(out_ + "/linux-arm-v7", out_ + "/linux-amd64"));
  EXPECT_EQ(ReadFileOrDie(out_ + "/linux-arm-v7"), "binary linux/arm");
  EXPECT_EQ(ReadFileOrDie(out_ + "/linux-amd64"), "binary linux/amd64");
  const std::string dir = std::filesystem::canonical(src_).string();
  EXPECT_THAT(
      Lines(out_ + "/linux-arm-v7.args"),
      ElementsAre("build", "-trimpath", "-buildvcs=false", "-o", out_ + "/linux-arm-v7",
                  "-ldflags=-s -w", "-tags=netgo", "./cmd/app",
                  "env GOOS=linux GOARCH=arm GOARM=7 GOAMD64= CGO_ENABLED=0", "dir " + dir));
  EXPECT_THAT(
      Lines(out_ + "/linux-amd64.args"),
      ElementsAre("build", "-trimpath", "-buildvcs=false", "-o", out_ + "/linux-amd64",
                  "-ldflags=-s -w", "-tags=netgo", "./cmd/app",
                  "env GOOS=linux GOARCH=amd64 GOARM= GOAMD64= CGO_ENABLED=0", "dir " + dir));
  EXPECT_THAT(logged, ElementsAre("ocib: go build ./cmd/app for linux/arm/v7: ok",
                                  "ocib: go build ./cmd/app for linux/amd64: ok"));
}

// A CGO_ENABLED the caller set is left to go; variables the platform sets
// override the caller's.
TEST_F(GoBuildAllTest, CallersCgoEnabledIsKeptAndPlatformVariablesWin) {
  ScopedVar path("PATH", bin_ + ":/usr/bin:/bin");
  ScopedVar cgo("CGO_ENABLED", "1");
  ScopedVar goarch("GOARCH", "mips");
  auto built = GoBuildAll(spec_, {*Platform::Parse("linux/amd64/v3")}, out_);
  ASSERT_TRUE(built) << built.error().ToString();
  EXPECT_EQ(Lines(out_ + "/linux-amd64-v3.args").at(6),
            "env GOOS=linux GOARCH=amd64 GOARM= GOAMD64=v3 CGO_ENABLED=1");
}

// A failing build is kBuildFailed naming the package, the platform and the
// exit code, with go's output.
TEST_F(GoBuildAllTest, AFailedBuildIsBuildFailedWithGosOutput) {
  ScopedVar path("PATH", bin_ + ":/usr/bin:/bin");
  auto built =
      GoBuildAll(spec_, {*Platform::Parse("linux/amd64"), *Platform::Parse("linux/s390x")}, out_);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), ErrorCode::kBuildFailed);
  EXPECT_THAT(built.error().ToString(),
              HasSubstr("go build ./cmd/app for linux/s390x failed (exit 3):"));
  EXPECT_THAT(built.error().ToString(), HasSubstr("cannot build for s390x"));
}

// Without `go` on PATH the error is kNotFound and names the package to
// install.
TEST_F(GoBuildAllTest, MissingGoIsNotFound) {
  ScopedVar path("PATH", tmp_.path() + "/empty");
  auto built = GoBuildAll(spec_, {*Platform::Parse("linux/amd64")}, out_);
  ASSERT_FALSE(built);
  EXPECT_EQ(built.error().code(), ErrorCode::kNotFound);
  EXPECT_THAT(built.error().ToString(), HasSubstr("golang-go"));
  EXPECT_THAT(built.error().ToString(), HasSubstr("./cmd/app"));
}

}  // namespace
}  // namespace ocib::build
