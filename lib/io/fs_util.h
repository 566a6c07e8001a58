// Internal filesystem helpers (POSIX).
#ifndef OCIB_LIB_IO_FS_UTIL_H_
#define OCIB_LIB_IO_FS_UTIL_H_

#include <string>
#include <string_view>

#include "ocib/status.h"

namespace ocib::fsutil {

Status WriteAll(int fd, const void* data, size_t size, const std::string& what);
// Reads a whole file; kNotFound if absent, kInvalidArgument if larger than max.
Result<std::string> ReadFile(const std::string& path, size_t max_size);
// Writes and fsyncs `bytes` to a new temporary file next to `path` and
// returns its name; the caller renames it (then fsyncs the directory) when
// its other writes allow.
Result<std::string> WriteTempFileFor(const std::string& path, std::string_view bytes);
// mkdir -p with mode 0755.
Status MakeDirs(const std::string& path);
void FsyncDir(const std::string& path);
// Removes a file tree (best effort).
void RemoveAll(const std::string& path);

}  // namespace ocib::fsutil

#endif  // OCIB_LIB_IO_FS_UTIL_H_
