// Tests for ocib/go_buildinfo.h: real Go binaries built with the Debian
// toolchain for several ELF classes and byte orders, checked against
// `go version -m`; synthetic ELF files for the pre-1.18 pointer layout; and
// the error cases.
#include "ocib/go_buildinfo.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "test/testing/elf_header.h"
#include "test/testing/sbom_test_util.h"

namespace ocib {
namespace {

using sbomtest::GoTarget;

// ------------------------------------------------ real binaries vs go version -m

class GoBinaryTest : public ::testing::TestWithParam<GoTarget> {};

TEST_P(GoBinaryTest, MatchesGoVersionM) {
  if (!sbomtest::HaveGo()) GTEST_SKIP() << "go toolchain not installed";
  const GoTarget& target = GetParam();
  std::string log;
  std::string binary = sbomtest::BuildFixture(target, &log);
  ASSERT_FALSE(binary.empty()) << "go build failed:\n" << log;

  GoBuildInfo want;
  std::string want_text;
  ASSERT_TRUE(sbomtest::GoVersionM(binary, &want, &want_text, &log)) << log;

  Result<GoBuildInfo> got = ReadGoBuildInfo(binary);
  ASSERT_TRUE(got.has_value()) << got.error().ToString();
  EXPECT_EQ(*got, want);
  EXPECT_EQ(got->ToString(), want_text);

  // The same through the in-memory entry point.
  Result<GoBuildInfo> mem = ParseGoBuildInfoFromElf(sbomtest::ReadFile(binary), binary);
  ASSERT_TRUE(mem.has_value()) << mem.error().ToString();
  EXPECT_EQ(*mem, *got);

  // What the fixture is known to contain.
  EXPECT_EQ(got->path, "example.com/ocib/sbomapp");
  EXPECT_EQ(got->main.path, "example.com/ocib/sbomapp");
  EXPECT_EQ(got->main.version, "(devel)");
  ASSERT_EQ(got->deps.size(), 1u);
  EXPECT_EQ(got->deps[0].path, "example.com/ocib/sbomlib");
  EXPECT_EQ(got->deps[0].version, "v0.1.0");
  ASSERT_TRUE(got->deps[0].replace.has_value());
  EXPECT_EQ(got->deps[0].replace->path, "../sbomlib");
  EXPECT_EQ(got->deps[0].replace->version, "(devel)");
  EXPECT_EQ(got->deps[0].replace->sum, "");
  EXPECT_EQ(got->go_version.rfind("go1.", 0), 0u) << got->go_version;
  EXPECT_EQ(got->FindSetting("GOARCH"), target.goarch);
  EXPECT_EQ(got->FindSetting("GOOS"), target.goos);
  EXPECT_EQ(got->FindSetting("CGO_ENABLED"), "0");
  EXPECT_EQ(got->FindSetting("-trimpath"), "true");
  if (!target.goarm.empty()) {
    EXPECT_EQ(got->FindSetting("GOARM"), target.goarm);
  }
  // (-ldflags is not recorded with -trimpath, so it is not checked here;
  // quoted settings are covered by ParseGoModInfo.QuotedSettings.)
  EXPECT_EQ(got->FindSetting("no-such-setting"), std::nullopt);
}

std::string TargetName(const ::testing::TestParamInfo<GoTarget>& info) {
  std::string n = info.param.Name();
  for (char& c : n) {
    if (c == '-') c = '_';
  }
  return n;
}

INSTANTIATE_TEST_SUITE_P(Platforms, GoBinaryTest,
                         ::testing::Values(
                             // 64-bit little endian; vcs.* settings when the checkout allows it.
                             GoTarget{"linux", "amd64", "", "", true},
                             // 64-bit little endian, stripped of symbols and DWARF.
                             GoTarget{"linux", "arm64", "", "-s -w", false},
                             // 32-bit little endian.
                             GoTarget{"linux", "arm", "7", "", false},
                             // 64-bit big endian.
                             GoTarget{"linux", "s390x", "", "", false},
                             // 32-bit big endian.
                             GoTarget{"linux", "mips", "", "", false}),
                         TargetName);

// ------------------------------------------------ synthetic ELF, both layouts

using ocib::testing::MakeGoElf;
using ocib::testing::PutInt;

const char kModText[] =
    "path\texample.com/old\n"
    "mod\texample.com/old\t(devel)\t\n"
    "dep\tgolang.org/x/text\tv0.3.7\th1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=\n"
    "build\t-ldflags=\"-X main.v=1\"\n";

struct LayoutCase {
  bool is64;
  bool big_endian;
  bool inline_format;
};

class SyntheticElfTest : public ::testing::TestWithParam<LayoutCase> {};

TEST_P(SyntheticElfTest, ReadsVersionAndModules) {
  const LayoutCase& c = GetParam();
  std::string elf = MakeGoElf(c.is64, c.big_endian, c.inline_format, "go1.16.15", kModText);
  Result<GoBuildInfo> info = ParseGoBuildInfoFromElf(elf, "synthetic");
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->go_version, "go1.16.15");
  EXPECT_EQ(info->path, "example.com/old");
  ASSERT_EQ(info->deps.size(), 1u);
  EXPECT_EQ(info->deps[0].sum, "h1:olpwvP2KacW1ZWvsR7uQhoyTYvKAupfQrRGBFM352Gk=");
  EXPECT_EQ(info->FindSetting("-ldflags"), "-X main.v=1");
  EXPECT_EQ(info->ToString(), std::string("go\tgo1.16.15\n") + kModText);
}

TEST_P(SyntheticElfTest, NoModuleInfoGivesVersionOnly) {
  const LayoutCase& c = GetParam();
  std::string elf = MakeGoElf(c.is64, c.big_endian, c.inline_format, "go1.17", "");
  Result<GoBuildInfo> info = ParseGoBuildInfoFromElf(elf, "synthetic");
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->go_version, "go1.17");
  EXPECT_TRUE(info->deps.empty());
  EXPECT_EQ(info->main, GoModule{});
}

// Strings of one byte are read as they are (the shortest non-empty Go
// string), in every layout.
TEST_P(SyntheticElfTest, OneByteVersionIsKept) {
  const LayoutCase& c = GetParam();
  Result<GoBuildInfo> info =
      ParseGoBuildInfoFromElf(MakeGoElf(c.is64, c.big_endian, c.inline_format, "7", ""), "one");
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  EXPECT_EQ(info->go_version, "7");
}

INSTANTIATE_TEST_SUITE_P(
    Layouts, SyntheticElfTest,
    ::testing::Values(LayoutCase{true, false, false}, LayoutCase{true, true, false},
                      LayoutCase{false, false, false}, LayoutCase{false, true, false},
                      LayoutCase{true, false, true}, LayoutCase{false, true, true}));

TEST(GoBuildInfoErrors, PointerOutsideSegments) {
  std::string elf = MakeGoElf(true, false, false, "go1.16", kModText);
  // Point the version pointer far outside the one segment.
  PutInt(&elf, 256 + 16, 8, 0x7fff0000, false);
  Result<GoBuildInfo> info = ParseGoBuildInfoFromElf(elf, "bad-pointer");
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code(), ErrorCode::kInvalidArgument);
}

TEST(GoBuildInfoErrors, UnknownPointerSize) {
  std::string elf = MakeGoElf(true, false, false, "go1.16", kModText);
  elf[256 + 14] = 3;
  Result<GoBuildInfo> info = ParseGoBuildInfoFromElf(elf, "odd");
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code(), ErrorCode::kUnimplemented);
}

TEST(GoBuildInfoErrors, NotElf) {
  const std::string path = sbomtest::ScratchDir() + "/not-elf.txt";
  sbomtest::WriteFile(path, "#!/bin/sh\necho this is a shell script, not an ELF binary\n");
  Result<GoBuildInfo> info = ReadGoBuildInfo(path);
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code(), ErrorCode::kInvalidArgument);
  const std::string msg = info.error().ToString();
  EXPECT_NE(msg.find(path), std::string::npos) << msg;
  EXPECT_NE(msg.find("not an ELF file"), std::string::npos) << msg;
}

TEST(GoBuildInfoErrors, EmptyAndTinyFiles) {
  for (const std::string& bytes : {std::string(), std::string("\x7f"
                                                              "ELF",
                                                              4)}) {
    Result<GoBuildInfo> info = ParseGoBuildInfoFromElf(bytes, "tiny");
    ASSERT_FALSE(info.has_value());
    EXPECT_EQ(info.error().code(), ErrorCode::kInvalidArgument);
  }
}

TEST(GoBuildInfoErrors, ElfButNotGo) {
  // The test executable itself is a C++ ELF binary without Go build info.
  Result<GoBuildInfo> info = ReadGoBuildInfo("/proc/self/exe");
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code(), ErrorCode::kInvalidArgument);
  const std::string msg = info.error().ToString();
  EXPECT_NE(msg.find("not a Go binary"), std::string::npos) << msg;
  EXPECT_NE(msg.find("/proc/self/exe"), std::string::npos) << msg;
}

TEST(GoBuildInfoErrors, Missing) {
  Result<GoBuildInfo> info = ReadGoBuildInfo(sbomtest::ScratchDir() + "/no-such-file");
  ASSERT_FALSE(info.has_value());
  EXPECT_EQ(info.error().code(), ErrorCode::kNotFound);
}

TEST(GoBuildInfoErrors, TruncatedGoBinary) {
  if (!sbomtest::HaveGo()) GTEST_SKIP() << "go toolchain not installed";
  std::string log;
  std::string binary = sbomtest::BuildFixture(GoTarget{"linux", "arm", "7", "", false}, &log);
  ASSERT_FALSE(binary.empty()) << log;
  std::string bytes = sbomtest::ReadFile(binary);
  for (size_t keep : {size_t{100}, size_t{4096}, bytes.size() / 2}) {
    Result<GoBuildInfo> info = ParseGoBuildInfoFromElf(bytes.substr(0, keep), "truncated");
    ASSERT_FALSE(info.has_value()) << keep;
    EXPECT_EQ(info.error().code(), ErrorCode::kInvalidArgument) << keep;
  }
}

TEST(GoBuildInfoErrors, CorruptedBinariesNeverCrash) {
  if (!sbomtest::HaveGo()) GTEST_SKIP() << "go toolchain not installed";
  std::string log;
  std::string binary = sbomtest::BuildFixture(GoTarget{"linux", "arm", "7", "", false}, &log);
  ASSERT_FALSE(binary.empty()) << log;
  const std::string original = sbomtest::ReadFile(binary);
  // Flip bytes in the ELF header, the program and section headers and the
  // build-info header; every result must be a value or a clean error.
  uint64_t state = 0x9e3779b97f4a7c15u;
  auto next = [&state] {
    state ^= state << 13;
    state ^= state >> 7;
    state ^= state << 17;
    return state;
  };
  int errors = 0;
  for (int round = 0; round < 400; ++round) {
    std::string bytes = original;
    for (int k = 0; k < 4; ++k) {
      size_t pos = round % 2 == 0 ? next() % 256 : next() % bytes.size();
      bytes[pos] = static_cast<char>(next() & 0xff);
    }
    Result<GoBuildInfo> info = ParseGoBuildInfoFromElf(bytes, "corrupted");
    if (!info) ++errors;
  }
  // The reader also fails cleanly on a synthetic file with a huge header count.
  std::string elf = MakeGoElf(true, false, false, "go1.16", kModText);
  PutInt(&elf, 0x38, 2, 0xffff, false);  // e_phnum
  EXPECT_FALSE(ParseGoBuildInfoFromElf(elf, "many-phdrs").has_value());
  EXPECT_GT(errors, 0);
}

// ------------------------------------------------ module text

TEST(ParseGoModInfo, QuotedSettings) {
  Result<GoBuildInfo> info = ParseGoModInfo(
      "build\t-ldflags=\"-s -w -X \\\"main.v=a b\\\"\"\n"
      "build\t\"we=ird\"=`raw value`\n"
      "build\t-tags=\n"
      "build\tX=\"tab\\there\\x41\\u00e9\"\n"
      "future\tsomething new\n");
  ASSERT_TRUE(info.has_value()) << info.error().ToString();
  ASSERT_EQ(info->settings.size(), 4u);
  EXPECT_EQ(info->settings[0].second, "-s -w -X \"main.v=a b\"");
  EXPECT_EQ(info->settings[1].first, "we=ird");
  EXPECT_EQ(info->settings[1].second, "raw value");
  EXPECT_EQ(info->settings[2].second, "");
  EXPECT_EQ(info->settings[3].second,
            "tab\there"
            "A\xc3\xa9");
  // ToString quotes what needs it, and its output parses back the same.
  Result<GoBuildInfo> again = ParseGoModInfo(info->ToString());
  ASSERT_TRUE(again.has_value()) << again.error().ToString();
  EXPECT_EQ(again->settings, info->settings);
}

TEST(ParseGoModInfo, RejectsMalformedLines) {
  for (const char* text :
       {"mod\tonly-path\n", "dep\ta\tb\tc\td\n", "=>\t../x\t(devel)\t\n", "build\tnoequals\n",
        "build\t=v\n", "build\tk=\"unterminated\n", "dep\ta\tv1\n=>\tb\tv2\t\n=>\tc\tv3\t\n"}) {
    Result<GoBuildInfo> info = ParseGoModInfo(text);
    EXPECT_FALSE(info.has_value()) << text;
    if (!info) {
      EXPECT_EQ(info.error().code(), ErrorCode::kInvalidArgument) << text;
    }
  }
}

}  // namespace
}  // namespace ocib
