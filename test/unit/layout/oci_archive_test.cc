// OCI archives written from a layout (lib/layout/oci_archive.h): the tar's
// entries, their order, owners, times and bytes, read back header by header;
// a failed write leaves an existing archive as it was.
#include "lib/layout/oci_archive.h"

#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/testing/tar_blocks.h"
#include "test/testing/test_util.h"

namespace ocib {
namespace {

using ::ocib::testing::DirNames;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::ocib::testing::ustar::Block;
using ::ocib::testing::ustar::Checksum;
using ::ocib::testing::ustar::Name;
using ::ocib::testing::ustar::Octal;
using ::ocib::testing::ustar::Typeflag;
using ::testing::ElementsAre;
using ::testing::HasSubstr;

struct Entry {
  std::string name;
  char type;
  int64_t mode, uid, gid, mtime;
  std::string data;
};

// Reads the ustar headers of `tar` (no pax headers: the names are short).
std::vector<Entry> ReadEntries(const std::string& tar) {
  std::vector<Entry> out;
  size_t at = 0;
  while (at + 512 <= tar.size() && tar[at] != '\0') {
    const std::string block = Block(tar, at / 512);
    EXPECT_EQ(Octal(block, 148, 8), Checksum(block));
    Entry e;
    e.name = Name(block);
    e.mode = Octal(block, 100, 8);
    e.uid = Octal(block, 108, 8);
    e.gid = Octal(block, 116, 8);
    const auto size = static_cast<size_t>(Octal(block, 124, 12));
    e.mtime = Octal(block, 136, 12);
    e.type = Typeflag(block);
    e.data = tar.substr(at + 512, size);
    out.push_back(e);
    at += 512 + (size + 511) / 512 * 512;
  }
  // Two zero blocks end the archive, and nothing follows them.
  EXPECT_EQ(tar.size(), at + 1024);
  EXPECT_EQ(tar.substr(at), std::string(1024, '\0'));
  return out;
}

std::vector<std::string> NamesOf(const std::vector<Entry>& entries) {
  std::vector<std::string> names;
  for (const Entry& e : entries) names.push_back(e.name);
  return names;
}

class OciArchiveTest : public ::testing::Test {
 protected:
  void SetUp() override {
    layout_ = tmp_.path() + "/layout";
    std::filesystem::create_directories(layout_ + "/blobs/sha256");
    WriteFileOrDie(layout_ + "/oci-layout", R"({"imageLayoutVersion":"1.0.0"})");
    WriteFileOrDie(layout_ + "/index.json", R"({"schemaVersion":2,"manifests":[]})");
    WriteFileOrDie(layout_ + "/blobs/sha256/bb", std::string(700, 'b'));
    WriteFileOrDie(layout_ + "/blobs/sha256/aa", "a");
  }
  ScopedTempDir tmp_;
  std::string layout_;
};

TEST_F(OciArchiveTest, EntriesAreSortedOwnedByRootAndStamped) {
  const std::string file = tmp_.path() + "/out.tar";
  ASSERT_THAT(WriteOciArchive(layout_, file, 1700000000), IsOk());
  const std::vector<Entry> entries = ReadEntries(ReadFileOrDie(file));
  EXPECT_THAT(NamesOf(entries), ElementsAre("blobs/", "blobs/sha256/", "blobs/sha256/aa",
                                            "blobs/sha256/bb", "index.json", "oci-layout"));
  for (const Entry& e : entries) {
    SCOPED_TRACE(e.name);
    EXPECT_EQ(e.uid, 0);
    EXPECT_EQ(e.gid, 0);
    EXPECT_EQ(e.mtime, 1700000000);
    EXPECT_EQ(e.type, e.name.back() == '/' ? '5' : '0');
    EXPECT_EQ(e.mode, e.name.back() == '/' ? 0755 : 0644);
  }
  EXPECT_EQ(entries[2].data, "a");
  EXPECT_EQ(entries[3].data, std::string(700, 'b'));
  EXPECT_EQ(entries[4].data, ReadFileOrDie(layout_ + "/index.json"));
}

TEST_F(OciArchiveTest, SameLayoutGivesTheSameBytes) {
  ASSERT_THAT(WriteOciArchive(layout_, tmp_.path() + "/1.tar", 0), IsOk());
  ASSERT_THAT(WriteOciArchive(layout_, tmp_.path() + "/2.tar", 0), IsOk());
  EXPECT_EQ(ReadFileOrDie(tmp_.path() + "/1.tar"), ReadFileOrDie(tmp_.path() + "/2.tar"));
}

TEST_F(OciArchiveTest, FailureLeavesTheOldArchive) {
  const std::string file = tmp_.path() + "/out.tar";
  WriteFileOrDie(file, "old archive");
  std::filesystem::remove(layout_ + "/index.json");
  EXPECT_THAT(WriteOciArchive(layout_, file, 0),
              StatusIs(ErrorCode::kNotFound, HasSubstr("index.json")));
  EXPECT_EQ(ReadFileOrDie(file), "old archive");
  EXPECT_THAT(DirNames(tmp_.path()), ElementsAre("layout", "out.tar"));
}

}  // namespace
}  // namespace ocib
