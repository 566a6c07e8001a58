// PushRecord (lib/registry/push_record.h): what one push records the next
// reads, one file per repository, the same root replaced, the oldest lines
// dropped past the limit, and records that cannot be trusted read as empty
// (a symlink, an oversized file, malformed lines).
#include "lib/registry/push_record.h"

#include <unistd.h>

#include <fstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib::registry {
namespace {

Digest D(const std::string& s) { return Digest::Sha256Of(s); }

std::string Slurp(const std::string& path) {
  std::ifstream in(path);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

TEST(PushRecordTest, WhatOnePushRecordsTheNextReads) {
  testing::ScopedTempDir tmp;
  const std::string dir = tmp.path() + "/pushed";
  PushRecord a(dir, "reg.test/app");
  EXPECT_FALSE(a.Has(D("root"), D("sbom")));
  ASSERT_TRUE(a.Add(D("root"), {D("sbom"), D("sig")}).has_value());
  ASSERT_TRUE(a.Add(D("bare"), {}).has_value());
  PushRecord b(dir, "reg.test/app");
  EXPECT_TRUE(b.Has(D("root"), D("sbom")));
  EXPECT_TRUE(b.Has(D("root"), D("sig")));
  EXPECT_TRUE(b.Has(D("bare"), Digest()));
  EXPECT_FALSE(b.Has(D("root"), D("other")));
  EXPECT_FALSE(b.Has(D("sbom"), D("root")));
  EXPECT_EQ(b.path(), dir + "/" + D("reg.test/app").encoded());
  EXPECT_EQ(Slurp(b.path()), D("root").ToString() + " " + D("sbom").ToString() + "\n" +
                                 D("root").ToString() + " " + D("sig").ToString() + "\n" +
                                 D("bare").ToString() + "\n");
  // Another repository has its own record.
  PushRecord other(dir, "reg.test/other");
  EXPECT_FALSE(other.Has(D("root"), D("sbom")));
}

TEST(PushRecordTest, ARootPushedAgainReplacesItsLines) {
  testing::ScopedTempDir tmp;
  PushRecord a(tmp.path(), "r/x");
  ASSERT_TRUE(a.Add(D("root"), {D("spdx")}).has_value());
  ASSERT_TRUE(a.Add(D("root"), {D("cyclonedx")}).has_value());
  PushRecord b(tmp.path(), "r/x");
  EXPECT_FALSE(b.Has(D("root"), D("spdx")));
  EXPECT_TRUE(b.Has(D("root"), D("cyclonedx")));
}

TEST(PushRecordTest, TheOldestLinesGoPastTheLimit) {
  testing::ScopedTempDir tmp;
  PushRecord a(tmp.path(), "r/x");
  for (size_t i = 0; i <= kMaxRecordLines; ++i) {
    ASSERT_TRUE(a.Add(D("root" + std::to_string(i)), {D("s")}).has_value());
  }
  PushRecord b(tmp.path(), "r/x");
  EXPECT_FALSE(b.Has(D("root0"), D("s")));
  EXPECT_TRUE(b.Has(D("root1"), D("s")));
  EXPECT_TRUE(b.Has(D("root" + std::to_string(kMaxRecordLines)), D("s")));
}

TEST(PushRecordTest, UntrustedRecordsReadAsEmpty) {
  testing::ScopedTempDir tmp;
  PushRecord a(tmp.path() + "/real", "r/x");
  ASSERT_TRUE(a.Add(D("root"), {D("s")}).has_value());
  // A symlink in place of the record is not followed.
  PushRecord link(tmp.path() + "/linked", "r/x");
  ASSERT_EQ(::mkdir((tmp.path() + "/linked").c_str(), 0755), 0);
  ASSERT_EQ(::symlink(a.path().c_str(), link.path().c_str()), 0);
  EXPECT_FALSE(link.Has(D("root"), D("s")));
  // An oversized record is not read.
  PushRecord big(tmp.path() + "/big", "r/x");
  ASSERT_EQ(::mkdir((tmp.path() + "/big").c_str(), 0755), 0);
  {
    std::ofstream out(big.path());
    out << D("root").ToString() << " " << D("s").ToString() << "\n"
        << std::string(kMaxRecordBytes, '#');
  }
  EXPECT_FALSE(big.Has(D("root"), D("s")));
}

TEST(PushRecordTest, MalformedLinesAreSkipped) {
  const std::string r = D("root").ToString();
  const std::string s = D("s").ToString();
  auto lines = ParsePushRecord("garbage\n" + r + " " + s + "\n" + r + "  " + s + "\n" + r + " " +
                               s + " extra\nsha256:short " + s + "\n\n" + r);
  ASSERT_EQ(lines.size(), 2U);
  EXPECT_EQ(lines[0], std::make_pair(D("root"), D("s")));
  EXPECT_EQ(lines[1], std::make_pair(D("root"), Digest()));
  std::string many;
  for (size_t i = 0; i < kMaxRecordLines + 5; ++i) many += r + "\n";
  EXPECT_EQ(ParsePushRecord(many).size(), kMaxRecordLines);
}

}  // namespace
}  // namespace ocib::registry
