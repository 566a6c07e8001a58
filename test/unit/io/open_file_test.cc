// An open file shared by its readers (lib/io/open_file.cc): MemberReader
// reads its range with pread, independently of other readers, and a file
// that ends inside the range is kDataLoss; the last holder closes it.
#include "lib/io/open_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <memory>
#include <string>

#include <gtest/gtest.h>

#include "test/testing/test_util.h"

namespace ocib::archive {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

std::shared_ptr<OpenFile> OpenOrDie(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  EXPECT_GE(fd, 0) << path;
  return std::make_shared<OpenFile>(fd, path);
}

// Two readers of one file read their own ranges, interleaved, in reads
// no larger than asked, and stop at the range's end.
TEST(MemberReaderTest, ReadersOfOneFileReadTheirOwnRanges) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/a", "0123456789abcdefghij");
  auto file = OpenOrDie(tmp.path() + "/a");
  MemberReader first(file, 2, 5);
  MemberReader second(file, 10, 10);
  char buf[4];
  std::string a;
  std::string b;
  for (int i = 0; i < 3; ++i) {
    auto n = first.Read(buf, 3);
    ASSERT_THAT(n, IsOk());
    a.append(buf, *n);
    auto m = second.Read(buf, sizeof buf);
    ASSERT_THAT(m, IsOk());
    b.append(buf, *m);
  }
  EXPECT_EQ(a, "23456");
  EXPECT_EQ(b, "abcdefghij");
  auto end = first.Read(buf, sizeof buf);
  ASSERT_THAT(end, IsOk());
  EXPECT_EQ(*end, 0u);
}

// A range past the end of the file is kDataLoss naming the file.
TEST(MemberReaderTest, AFileThatEndsInsideTheRangeIsDataLoss) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/a", "short");
  MemberReader r(OpenOrDie(tmp.path() + "/a"), 3, 10);
  char buf[16];
  auto n = r.Read(buf, sizeof buf);
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(std::string(buf, *n), "rt");
  EXPECT_THAT(r.Read(buf, sizeof buf),
              StatusIs(ErrorCode::kDataLoss, HasSubstr(tmp.path() + "/a ends inside a member")));
}

// The descriptor stays open while a reader holds the file and is closed
// with the last holder.
TEST(OpenFileTest, TheLastHolderClosesTheDescriptor) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/a", "abc");
  auto file = OpenOrDie(tmp.path() + "/a");
  const int fd = file->fd;
  auto reader = std::make_unique<MemberReader>(file, 0, 3);
  file.reset();
  EXPECT_NE(::fcntl(fd, F_GETFD), -1);
  char buf[3];
  auto n = reader->Read(buf, sizeof buf);
  ASSERT_THAT(n, IsOk());
  EXPECT_EQ(std::string(buf, *n), "abc");
  reader.reset();
  EXPECT_EQ(::fcntl(fd, F_GETFD), -1);
}

}  // namespace
}  // namespace ocib::archive
