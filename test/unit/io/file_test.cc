// Regular files opened safely (lib/io/file.h): FIFOs, devices, directories and
// symlinks refused, sizes bounded.
#include "lib/io/file.h"

#include <unistd.h>

#include <filesystem>

#include "lib/io/streams.h"
#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib::io {
namespace {

using ::ocib::testing::IsOk;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

// A regular file opens with its size and reads back whole.
TEST(RegularFileTest, OpensARegularFileWithItsSize) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/f", "hello");
  auto f = RegularFile::Open(tmp.path() + "/f");
  ASSERT_THAT(f, IsOk());
  EXPECT_EQ(f->size(), 5);
  EXPECT_GE(f->fd(), 0);
  EXPECT_THAT(ReadRegularFile(tmp.path() + "/f", 5), ::testing::Optional(std::string("hello")));
}

// A FIFO is refused as not a regular file, without blocking on open.
TEST(RegularFileTest, RefusesAFifoWithoutBlocking) {
  ScopedTempDir tmp;
  const std::string fifo = tmp.path() + "/fifo";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  EXPECT_THAT(RegularFile::Open(fifo), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("a FIFO")));
  EXPECT_THAT(ReadRegularFile(fifo, 100, Links::kFollow),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("not a regular file")));
  EXPECT_THAT(FileReader::Open(fifo), StatusIs(ErrorCode::kInvalidArgument, HasSubstr("FIFO")));
}

// A symlink is refused unless Links::kFollow is given.
TEST(RegularFileTest, RefusesSymlinksUnlessAskedToFollow) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/target", "secret");
  std::filesystem::create_symlink(tmp.path() + "/target", tmp.path() + "/link");
  EXPECT_THAT(RegularFile::Open(tmp.path() + "/link"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("symbolic link")));
  EXPECT_THAT(RegularFile::Open(tmp.path() + "/link", Links::kFollow), IsOk());
}

// Devices and directories are kInvalidArgument naming their type; a missing file is kNotFound.
TEST(RegularFileTest, RefusesDevicesAndDirectories) {
  ScopedTempDir tmp;
  std::filesystem::create_symlink("/dev/zero", tmp.path() + "/zero");
  EXPECT_THAT(RegularFile::Open(tmp.path() + "/zero"),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("symbolic link")));
  EXPECT_THAT(RegularFile::Open("/dev/zero", Links::kFollow),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("a character device")));
  EXPECT_THAT(RegularFile::Open(tmp.path()),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("a directory")));
  EXPECT_THAT(RegularFile::Open(tmp.path() + "/absent"),
              StatusIs(ErrorCode::kNotFound, ::testing::_));
}

// A file larger than the limit is refused, not truncated.
TEST(RegularFileTest, ReadsNoMoreThanMaxSize) {
  ScopedTempDir tmp;
  WriteFileOrDie(tmp.path() + "/f", std::string(100, 'x'));
  EXPECT_THAT(ReadRegularFile(tmp.path() + "/f", 99),
              StatusIs(ErrorCode::kInvalidArgument, HasSubstr("larger than 99")));
}

}  // namespace
}  // namespace ocib::io
