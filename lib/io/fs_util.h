// Internal filesystem helpers (POSIX).
#ifndef OCIB_LIB_IO_FS_UTIL_H_
#define OCIB_LIB_IO_FS_UTIL_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::fsutil {

Status WriteAll(int fd, const void* data, size_t size, const std::string& what);
// A Writer onto an open file descriptor it does not own (WriteAll; `what`
// names the file in errors). Close does nothing.
class FdWriter : public Writer {
 public:
  FdWriter(int fd, std::string what) : fd_(fd), what_(std::move(what)) {}
  Status Write(const void* data, size_t size) override { return WriteAll(fd_, data, size, what_); }
  Status Close() override { return OkStatus(); }

 private:
  int fd_;
  std::string what_;
};
// Reads a whole regular file (following a symbolic link; see
// io::ReadRegularFile); kNotFound if absent, kInvalidArgument if larger than
// max or not a regular file.
Result<std::string> ReadFile(const std::string& path, size_t max_size);
// Writes and fsyncs `bytes` to a new temporary file next to `path` and
// returns its name; the caller renames it (then fsyncs the directory) when
// its other writes allow.
Result<std::string> WriteTempFileFor(const std::string& path, std::string_view bytes);
// Whether a file written is fsynced before it is renamed into place: kNone
// for files whose loss after a crash costs nothing but time (the layer
// cache's memos: a lost one is a cache miss).
enum class Sync { kFsync, kNone };
// WriteTempFileFor with the content streamed: `write` gets the new file (not
// following a symlink, created with O_EXCL, permissions `mode`) as a
// Writer; when it fails the file is removed and its error returned.
Result<std::string> WriteTempFileWith(const std::string& path,
                                      const std::function<Status(Writer&)>& write,
                                      uint32_t mode = 0644, Sync sync = Sync::kFsync);
// Renames the temporary file `tmp` (WriteTempFileFor's) over `path`; when
// that fails, removes `tmp` and returns kIo naming both.
Status RenameOver(const std::string& tmp, const std::string& path);
// Replaces `path` with `bytes` atomically: a temporary file next to it
// (WriteTempFileFor), renamed over it; the directory is made (MakeDirs)
// when missing. Readers see the old content or the new, never a part. The
// file gets permissions `mode` (0600 for credentials), whatever the umask.
// With Sync::kNone the file is not fsynced: after a crash it may be empty.
Status WriteFileAtomic(const std::string& path, std::string_view bytes, uint32_t mode = 0644,
                       Sync sync = Sync::kFsync);
// WriteFileAtomic with the content streamed (WriteTempFileWith): a file
// that may be large (an archive) is never held in memory. Unlike
// WriteFileAtomic it makes no directory: a missing one is kIo.
Status WriteFileAtomicWith(const std::string& path, const std::function<Status(Writer&)>& write);
// A suffix that makes a temporary file's name unique across processes and
// hosts and says who wrote it: "<pid>-<counter>-<salt>@<host>".
std::string TempSuffix();
// Whether the temporary file whose name ends with `suffix` (as TempSuffix
// makes it) was written by a process of this host that no longer exists.
// False for anything else: another host's, a live process's, other names.
bool IsStaleTempSuffix(std::string_view suffix);
// mkdir -p with mode 0755.
Status MakeDirs(const std::string& path);
// Makes the names in directory `path` durable; kIo when it cannot.
Status FsyncDir(const std::string& path);
// Removes a file tree (best effort).
void RemoveAll(const std::string& path);
// Where temporary files go: $TMPDIR when set and not empty, else /tmp.
std::string TempDir();
// A new unnamed file (O_TMPFILE) in TempDir(), open for reading and
// writing, gone when its descriptor is closed. kIo naming `what` (what the
// file is for) when it cannot be made.
Result<int> OpenUnnamedTempFile(const std::string& what);

}  // namespace ocib::fsutil

#endif  // OCIB_LIB_IO_FS_UTIL_H_
