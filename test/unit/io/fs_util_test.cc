// Filesystem helpers (lib/io/fs_util.h): atomic replacement, streamed or
// not, leaves the old content or the new and never a temporary file.
#include "lib/io/fs_util.h"

#include <unistd.h>

#include <filesystem>
#include <string>
#include <vector>

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include "test/testing/test_util.h"
#include <sys/stat.h>

namespace ocib {
namespace {

using ::ocib::testing::DirNames;
using ::ocib::testing::IsOk;
using ::ocib::testing::ReadFileOrDie;
using ::ocib::testing::ScopedTempDir;
using ::ocib::testing::StatusIs;
using ::ocib::testing::WriteFileOrDie;
using ::testing::HasSubstr;

// WriteFileAtomic makes missing directories, replaces the content and leaves no temporary file.
TEST(FsUtilTest, WriteFileAtomicReplacesAndMakesTheDirectory) {
  ScopedTempDir tmp;
  const std::string path = tmp.path() + "/a/b/file";
  ASSERT_THAT(fsutil::WriteFileAtomic(path, "one"), IsOk());
  ASSERT_THAT(fsutil::WriteFileAtomic(path, "two"), IsOk());
  EXPECT_EQ(ReadFileOrDie(path), "two");
  EXPECT_EQ(DirNames(tmp.path() + "/a/b"), std::vector<std::string>{"file"});
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0644));
}

// The requested mode is set even under a umask that would clear it.
TEST(FsUtilTest, ModeIsSetWhateverTheUmask) {
  ScopedTempDir tmp;
  const std::string path = tmp.path() + "/private";
  const mode_t old = ::umask(0777);  // a umask that would leave no permission
  const Status st = fsutil::WriteFileAtomic(path, "secret", 0600);
  ::umask(old);
  ASSERT_THAT(st, IsOk());
  EXPECT_EQ(std::filesystem::status(path).permissions() & std::filesystem::perms::all,
            std::filesystem::perms(0600));
}

// Without fsync (the layer cache's memos) the write is as atomic: the
// directory is made, the content replaced, no temporary file left, and a
// symlink planted at the target is replaced, not written through.
TEST(FsUtilTest, UnsyncedWriteIsStillAtomicAndFollowsNoSymlink) {
  ScopedTempDir tmp;
  const std::string victim = tmp.path() + "/victim";
  WriteFileOrDie(victim, "keep");
  const std::string path = tmp.path() + "/memo/entry";
  ASSERT_THAT(fsutil::WriteFileAtomic(path, "one", 0644, fsutil::Sync::kNone), IsOk());
  ASSERT_EQ(::unlink(path.c_str()), 0);
  ASSERT_EQ(::symlink(victim.c_str(), path.c_str()), 0);
  ASSERT_THAT(fsutil::WriteFileAtomic(path, "two", 0644, fsutil::Sync::kNone), IsOk());
  EXPECT_EQ(ReadFileOrDie(path), "two");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  EXPECT_EQ(ReadFileOrDie(victim), "keep");
  EXPECT_EQ(DirNames(tmp.path() + "/memo"), std::vector<std::string>{"entry"});
}

// WriteFileAtomicWith keeps every piece the callback writes, in order.
TEST(FsUtilTest, StreamedWriteGetsEveryPiece) {
  ScopedTempDir tmp;
  const std::string path = tmp.path() + "/file";
  ASSERT_THAT(
      fsutil::WriteFileAtomicWith(path,
                                  [](Writer& out) -> Status {
                                    for (int i = 0; i < 3; ++i) {
                                      const std::string piece(70000, static_cast<char>('a' + i));
                                      OCIB_RETURN_IF_ERROR(out.Write(piece.data(), piece.size()));
                                    }
                                    return OkStatus();
                                  }),
      IsOk());
  EXPECT_EQ(ReadFileOrDie(path),
            std::string(70000, 'a') + std::string(70000, 'b') + std::string(70000, 'c'));
}

// A callback error keeps the old file and removes the temporary one.
TEST(FsUtilTest, FailedStreamedWriteKeepsTheOldFileAndNoTemporary) {
  ScopedTempDir tmp;
  const std::string path = tmp.path() + "/file";
  WriteFileOrDie(path, "old");
  Status st = fsutil::WriteFileAtomicWith(path, [](Writer& out) -> Status {
    OCIB_RETURN_IF_ERROR(out.Write("new", 3));
    return DataLoss("the source went away");
  });
  EXPECT_THAT(st, StatusIs(ErrorCode::kDataLoss, HasSubstr("the source went away")));
  EXPECT_EQ(ReadFileOrDie(path), "old");
  EXPECT_EQ(DirNames(tmp.path()), std::vector<std::string>{"file"});
}

// A streamed write into a missing directory is kIo before the callback runs.
TEST(FsUtilTest, StreamedWriteIntoAMissingDirectoryIsAnError) {
  ScopedTempDir tmp;
  bool called = false;
  Status st = fsutil::WriteFileAtomicWith(tmp.path() + "/none/file", [&](Writer&) -> Status {
    called = true;
    return OkStatus();
  });
  EXPECT_THAT(st, StatusIs(ErrorCode::kIo, HasSubstr("/none/file.tmp-")));
  EXPECT_FALSE(called);
}

// A symlink planted at the target is replaced, never written through.
TEST(FsUtilTest, TempFileIsNotWrittenThroughASymlink) {
  ScopedTempDir tmp;
  // WriteTempFileFor never opens an existing name: its names are fresh, and
  // O_EXCL|O_NOFOLLOW refuses a planted one. A planted symlink at the target
  // is replaced by the rename, not followed.
  const std::string victim = tmp.path() + "/victim";
  WriteFileOrDie(victim, "keep");
  const std::string path = tmp.path() + "/file";
  ASSERT_EQ(::symlink(victim.c_str(), path.c_str()), 0);
  ASSERT_THAT(fsutil::WriteFileAtomic(path, "new"), IsOk());
  EXPECT_EQ(ReadFileOrDie(victim), "keep");
  EXPECT_FALSE(std::filesystem::is_symlink(path));
  EXPECT_EQ(ReadFileOrDie(path), "new");
}

TEST(FsUtilTest, TempSuffixesAreUniqueAndOursAreNotStale) {
  const std::string a = fsutil::TempSuffix();
  const std::string b = fsutil::TempSuffix();
  EXPECT_NE(a, b);
  EXPECT_THAT(a, HasSubstr(std::to_string(::getpid()) + "-"));
  EXPECT_FALSE(fsutil::IsStaleTempSuffix(a));  // this process is alive
  EXPECT_FALSE(fsutil::IsStaleTempSuffix("not-a-suffix"));
}

// FsyncDir succeeds on a directory and reports kIo naming a missing one.
TEST(FsUtilTest, FsyncDirReportsFailure) {
  ScopedTempDir tmp;
  EXPECT_THAT(fsutil::FsyncDir(tmp.path()), IsOk());
  EXPECT_THAT(fsutil::FsyncDir(tmp.path() + "/absent"),
              StatusIs(ErrorCode::kIo, HasSubstr("absent")));
}

// A temporary suffix names this process and host; only a dead local process makes one stale.
TEST(FsUtilTest, TempSuffixNamesThisProcessAndHost) {
  std::string s = fsutil::TempSuffix();
  EXPECT_TRUE(s.starts_with(std::to_string(::getpid()) + "-")) << s;
  EXPECT_NE(s.find('@'), std::string::npos) << s;
  EXPECT_FALSE(fsutil::IsStaleTempSuffix(s));  // this process is alive
  EXPECT_FALSE(fsutil::IsStaleTempSuffix("12-0-1@another-host-that-is-not-this-one"));
  EXPECT_FALSE(fsutil::IsStaleTempSuffix("not-a-pid"));
}

}  // namespace
}  // namespace ocib
