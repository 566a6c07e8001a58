// Tests for lib/sbom/elf.h: the ELF file header and platform match.
#include "lib/sbom/elf.h"

#include "test/testing/elf_header.h"
#include "test/testing/test_util.h"

namespace ocib::elf {
namespace {

using ::ocib::testing::ElfFor;
using ::ocib::testing::ElfHeaderBytes;
using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

Platform P(const char* text) { return *Platform::Parse(text); }

TEST(ElfHeaderTest, ParsesClassByteOrderMachineAndFlags) {
  auto h = ParseElfHeader(ElfHeaderBytes(32, false, ocib::testing::kEmArm, 0x05000400, 3));
  ASSERT_THAT(h, IsOk());
  EXPECT_EQ(h->bits, 32);
  EXPECT_FALSE(h->big_endian);
  EXPECT_EQ(h->machine, ocib::testing::kEmArm);
  EXPECT_EQ(h->flags, 0x05000400u);
  EXPECT_EQ(h->os_abi, 3);
  auto be = ParseElfHeader(ElfHeaderBytes(64, true, ocib::testing::kEmS390, 0x1234));
  ASSERT_THAT(be, IsOk());
  EXPECT_TRUE(be->big_endian);
  EXPECT_EQ(be->machine, ocib::testing::kEmS390);
  EXPECT_EQ(be->flags, 0x1234u);
}

TEST(ElfHeaderTest, RefusesWhatIsNotAnElfHeader) {
  EXPECT_THAT(ParseElfHeader("#!/bin/sh\n"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not an ELF")));
  EXPECT_THAT(ParseElfHeader(std::string("\x7f"
                                         "ELF",
                                         4)),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("cut short")));
  std::string bad_class = ElfFor("amd64");
  bad_class[4] = 7;
  EXPECT_THAT(ParseElfHeader(bad_class),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("class 7")));
  // A 64-bit header cut before e_flags.
  EXPECT_THAT(ParseElfHeader(ElfFor("amd64").substr(0, 40)),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("cut short")));
}

TEST(ElfHeaderTest, NamesEveryArchitectureOcibBuilds) {
  for (const char* arch : {"amd64", "arm64", "arm", "386", "ppc64le", "s390x", "riscv64"}) {
    auto h = ParseElfHeader(ElfFor(arch));
    ASSERT_THAT(h, IsOk()) << arch;
    EXPECT_EQ(ElfArchitecture(*h), arch);
  }
  auto ppc64 = ParseElfHeader(ElfHeaderBytes(64, true, ocib::testing::kEmPpc64));
  EXPECT_EQ(ElfArchitecture(*ppc64), "ppc64");
  // x86-64's machine in a 32-bit header (x32) is no Go architecture.
  auto x32 = ParseElfHeader(ElfHeaderBytes(32, false, ocib::testing::kEmX8664));
  EXPECT_EQ(ElfArchitecture(*x32), "");
}

TEST(ElfPlatformTest, MatchingPlatformsPass) {
  EXPECT_THAT(CheckElfPlatform(*ParseElfHeader(ElfFor("amd64")), P("linux/amd64")), IsOk());
  EXPECT_THAT(CheckElfPlatform(*ParseElfHeader(ElfFor("arm64")), P("linux/arm64/v8")), IsOk());
  EXPECT_THAT(CheckElfPlatform(*ParseElfHeader(ElfFor("arm")), P("linux/arm/v6")), IsOk());
  EXPECT_THAT(CheckElfPlatform(*ParseElfHeader(ElfFor("s390x")), P("linux/s390x")), IsOk());
  EXPECT_THAT(CheckElfPlatform(*ParseElfHeader(ElfFor("386")), P("linux/386")), IsOk());
  // OS ABI GNU/Linux (3) is linux too.
  auto gnu = ParseElfHeader(ElfHeaderBytes(64, false, ocib::testing::kEmX8664, 0, 3));
  EXPECT_THAT(CheckElfPlatform(*gnu, P("linux/amd64")), IsOk());
}

TEST(ElfPlatformTest, WrongArchitectureOsOrFloatAbiIsRefused) {
  EXPECT_THAT(
      CheckElfPlatform(*ParseElfHeader(ElfFor("arm64")), P("linux/amd64")),
      StatusIs(ErrorCode::kInvalidArgument, HasSubstr("arm64 executable, not linux/amd64")));
  EXPECT_THAT(CheckElfPlatform(*ParseElfHeader(ElfFor("amd64")), P("windows/amd64")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("which windows cannot run")));
  EXPECT_THAT(CheckElfPlatform(*ParseElfHeader(ElfFor("amd64")), P("darwin/amd64")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("darwin")));
  // FreeBSD's OS ABI (9) is not linux.
  auto bsd = ParseElfHeader(ElfHeaderBytes(64, false, ocib::testing::kEmX8664, 0, 9));
  EXPECT_THAT(CheckElfPlatform(*bsd, P("linux/amd64")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("OS ABI 9")));
  // Hard-float (VFP) on arm/v5, which has no VFP.
  EXPECT_THAT(CheckElfPlatform(*ParseElfHeader(ElfFor("arm")), P("linux/arm/v5")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("hard-float")));
  auto soft = ParseElfHeader(ElfHeaderBytes(32, false, ocib::testing::kEmArm, 0x05000200));
  EXPECT_THAT(CheckElfPlatform(*soft, P("linux/arm/v5")), IsOk());
  // ppc64 big-endian is not ppc64le.
  auto ppc64 = ParseElfHeader(ElfHeaderBytes(64, true, ocib::testing::kEmPpc64));
  EXPECT_THAT(CheckElfPlatform(*ppc64, P("linux/ppc64le")),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("big-endian")));
}

}  // namespace
}  // namespace ocib::elf
