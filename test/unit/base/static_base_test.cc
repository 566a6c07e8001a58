// The embedded base (lib/base/static_base.cc): its pack records read into a
// file tree, and every malformed pack refused by kind.
#include "lib/base/static_base.h"

#include <cstdint>
#include <string>

#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib::base {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::StatusIs;
using ::testing::HasSubstr;

void PutU32(std::string& out, uint32_t v) {
  for (int i = 0; i < 4; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

void PutU64(std::string& out, uint64_t v) {
  for (int i = 0; i < 8; ++i) out += static_cast<char>((v >> (8 * i)) & 0xff);
}

// One record as lib/base/make_base_pack.cc writes it.
std::string Record(char type, uint32_t mode, const std::string& path, const std::string& link,
                   const std::string& content) {
  std::string out(1, type);
  PutU32(out, mode);
  PutU32(out, static_cast<uint32_t>(path.size()));
  out += path;
  PutU32(out, static_cast<uint32_t>(link.size()));
  out += link;
  PutU64(out, content.size());
  out += content;
  return out;
}

TEST(BasePackTest, RecordsBecomeEntries) {
  const std::string pack = Record('d', 0755, "srv", "", "") +
                           Record('f', 0644, "srv/a.conf", "", "x=1\n") +
                           Record('l', 0777, "srv/b.conf", "a.conf", "") + std::string(1, '\0');
  FileTree t;
  ASSERT_THAT(AddPackRecords(pack, t), IsOk());
  auto entries = t.SortedEntries();
  ASSERT_EQ(entries.size(), 3u);
  EXPECT_EQ(entries[0].path, "srv");
  EXPECT_EQ(entries[0].type, FileEntry::Type::kDirectory);
  EXPECT_EQ(entries[0].mode, 0755u);
  EXPECT_EQ(entries[1].path, "srv/a.conf");
  EXPECT_EQ(entries[1].type, FileEntry::Type::kRegular);
  EXPECT_EQ(entries[1].size, 4);
  EXPECT_EQ(entries[2].type, FileEntry::Type::kSymlink);
  EXPECT_EQ(entries[2].link_target, "a.conf");
}

TEST(BasePackTest, MalformedPacksAreRefused) {
  const std::string end(1, '\0');
  const std::string good = Record('f', 0644, "a", "", "x");
  struct Case {
    std::string pack;
    ErrorCode code;
    const char* want;
  };
  const Case cases[] = {
      {"", ErrorCode::kInternal, "truncated"},
      {good, ErrorCode::kInternal, "truncated"},  // no end record
      {good.substr(0, good.size() - 1) + end, ErrorCode::kInternal, "truncated"},
      {Record('x', 0644, "a", "", "") + end, ErrorCode::kInternal, "unknown record type"},
      {Record('f', 0644, "../a", "", "x") + end, ErrorCode::kInvalidArgument, "../a"},
      {Record('d', 0755, "../d", "", "") + end, ErrorCode::kInvalidArgument, "../d"},
      {Record('l', 0777, "../l", "a", "") + end, ErrorCode::kInvalidArgument, "../l"},
  };
  for (const Case& c : cases) {
    FileTree t;
    EXPECT_THAT(AddPackRecords(c.pack, t), StatusIs(c.code, HasSubstr(c.want))) << c.want;
  }
}

TEST(BasePackTest, TheEmbeddedBaseReads) {
  auto t = StaticBaseTree();
  ASSERT_THAT(t, IsOk());
  EXPECT_GT(t->SortedEntries().size(), 100u);
  EXPECT_TRUE(StaticBaseDirectories().contains("tmp"));
}

}  // namespace
}  // namespace ocib::base
