#include "lib/io/fs_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <random>

#include <fmt/format.h>

#include "lib/core/env.h"
#include "lib/io/file.h"
#include "lib/io/streams.h"
#include <sys/stat.h>

namespace ocib::fsutil {

using io::ErrnoText;

Status WriteAll(int fd, const void* data, size_t size, const std::string& what) {
  const char* p = static_cast<const char*>(data);
  while (size > 0) {
    ssize_t n = ::write(fd, p, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return IoError(fmt::format("write {}: {}", what, ErrnoText(errno)));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Result<std::string> ReadFile(const std::string& path, size_t max_size) {
  return io::ReadRegularFile(path, max_size, io::Links::kFollow);
}

namespace {

// This host's name, reduced to [A-Za-z0-9.-] (it is part of file names).
const std::string& HostTag() {
  static const std::string kHost = [] {
    char buf[256] = {};
    if (::gethostname(buf, sizeof buf - 1) != 0) return std::string("unknown");
    std::string out;
    for (const char* p = buf; *p != '\0'; ++p) {
      bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                *p == '.' || *p == '-';
      out.push_back(ok ? *p : '_');
    }
    return out.empty() ? std::string("unknown") : out;
  }();
  return kHost;
}

}  // namespace

std::string TempSuffix() {
  static std::atomic<uint64_t> counter{0};
  // pid and counter make a name unique on this host; the random part, drawn
  // once per process, and the host name, across hosts sharing a directory.
  static const uint32_t kSalt = std::random_device{}();
  return fmt::format("{}-{}-{}@{}", ::getpid(), counter.fetch_add(1), kSalt, HostTag());
}

bool IsStaleTempSuffix(std::string_view suffix) {
  size_t at = suffix.rfind('@');
  if (at == std::string_view::npos || suffix.substr(at + 1) != HostTag()) return false;
  size_t dash = suffix.find('-');
  if (dash == 0 || dash == std::string_view::npos || dash > 9) return false;
  pid_t pid = 0;
  for (char c : suffix.substr(0, dash)) {
    if (c < '0' || c > '9') return false;
    pid = pid * 10 + (c - '0');
  }
  if (pid <= 0 || pid == ::getpid()) return false;
  return ::kill(pid, 0) != 0 && errno == ESRCH;
}

Status RenameOver(const std::string& tmp, const std::string& path) {
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    const int err = errno;
    ::unlink(tmp.c_str());
    return IoError(fmt::format("renaming {} to {}: {}", tmp, path, ErrnoText(err)));
  }
  return OkStatus();
}

Result<std::string> WriteTempFileWith(const std::string& path,
                                      const std::function<Status(Writer&)>& write, uint32_t mode,
                                      Sync sync) {
  std::string tmp = path + ".tmp-" + TempSuffix();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode);
  if (fd < 0) return IoError(fmt::format("create {}: {}", tmp, ErrnoText(errno)));
  ::fchmod(fd, mode);
  FdWriter out(fd, tmp);
  Status st = write(out);
  if (st && sync == Sync::kFsync && ::fsync(fd) != 0)
    st = IoError(fmt::format("fsync {}: {}", tmp, ErrnoText(errno)));
  ::close(fd);
  if (!st) {
    ::unlink(tmp.c_str());
    return std::move(st).error();
  }
  return tmp;
}

Result<std::string> WriteTempFileFor(const std::string& path, std::string_view bytes) {
  return WriteTempFileWith(path,
                           [bytes](Writer& out) { return out.Write(bytes.data(), bytes.size()); });
}

Status WriteFileAtomic(const std::string& path, std::string_view bytes, uint32_t mode, Sync sync) {
  const size_t slash = path.rfind('/');
  if (slash != std::string::npos && slash > 0)
    OCIB_RETURN_IF_ERROR(MakeDirs(path.substr(0, slash)));
  OCIB_ASSIGN_OR_RETURN(
      std::string tmp,
      WriteTempFileWith(
          path, [bytes](Writer& out) { return out.Write(bytes.data(), bytes.size()); }, mode,
          sync));
  return RenameOver(tmp, path);
}

Status WriteFileAtomicWith(const std::string& path, const std::function<Status(Writer&)>& write) {
  OCIB_ASSIGN_OR_RETURN(std::string tmp, WriteTempFileWith(path, write));
  return RenameOver(tmp, path);
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IoError(fmt::format("create directory {}: {}", path, ec.message()));
  return {};
}

Status FsyncDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) {
    return IoError(fmt::format("open directory {} to fsync it: {}", path, ErrnoText(errno)));
  }
  Status st;
  if (::fsync(fd) != 0) st = IoError(fmt::format("fsync directory {}: {}", path, ErrnoText(errno)));
  ::close(fd);
  return st;
}

void RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

std::string TempDir() { return env::GetOr("TMPDIR", "/tmp"); }

Result<int> OpenUnnamedTempFile(const std::string& what) {
  const std::string dir = TempDir();
  const int fd = ::open(dir.c_str(), O_TMPFILE | O_RDWR | O_CLOEXEC, 0600);
  if (fd < 0) {
    return IoError(
        fmt::format("creating a temporary file in {} {}: {}", dir, what, ErrnoText(errno)));
  }
  return fd;
}

}  // namespace ocib::fsutil
