#include "lib/io/fs_util.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <filesystem>

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
      return IoError("write " + what + ": " + ErrnoText(errno));
    }
    p += n;
    size -= static_cast<size_t>(n);
  }
  return {};
}

Result<std::string> ReadFile(const std::string& path, size_t max_size) {
  OCIB_ASSIGN_OR_RETURN(auto reader, io::FileReader::Open(path));
  std::string out;
  char buf[65536];
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf, sizeof(buf)));
    if (n == 0) return out;
    out.append(buf, n);
    if (out.size() > max_size) {
      return InvalidArgument(path + " is larger than " + std::to_string(max_size) + " bytes");
    }
  }
}

Result<std::string> WriteTempFileFor(const std::string& path, std::string_view bytes) {
  static std::atomic<uint64_t> counter{0};
  std::string tmp =
      path + ".tmp-" + std::to_string(::getpid()) + "-" + std::to_string(counter.fetch_add(1));
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create " + tmp + ": " + ErrnoText(errno));
  ::fchmod(fd, 0644);
  Status st = WriteAll(fd, bytes.data(), bytes.size(), tmp);
  if (st && ::fsync(fd) != 0) st = IoError("fsync " + tmp + ": " + ErrnoText(errno));
  ::close(fd);
  if (!st) {
    ::unlink(tmp.c_str());
    return std::move(st).error();
  }
  return tmp;
}

Status MakeDirs(const std::string& path) {
  std::error_code ec;
  std::filesystem::create_directories(path, ec);
  if (ec) return IoError("create directory " + path + ": " + ec.message());
  return {};
}

void FsyncDir(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

void RemoveAll(const std::string& path) {
  std::error_code ec;
  std::filesystem::remove_all(path, ec);
}

}  // namespace ocib::fsutil
