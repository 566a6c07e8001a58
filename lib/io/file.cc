#include "lib/io/file.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <utility>

#include <fmt/format.h>

#include "lib/io/streams.h"
#include <sys/stat.h>

namespace ocib::io {
namespace {

std::string_view KindOf(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  if (S_ISLNK(mode)) return "a symbolic link";
  return "not a regular file";
}

}  // namespace

Result<RegularFile> RegularFile::Open(const std::string& path, Links links) {
  int flags = O_RDONLY | O_NONBLOCK | O_CLOEXEC | O_NOCTTY;
  if (links == Links::kRefuse) flags |= O_NOFOLLOW;
  int fd = ::open(path.c_str(), flags);
  if (fd < 0) {
    int err = errno;
    if (err == ENOENT) return NotFound(fmt::format("open {}: {}", path, ErrnoText(err)));
    if (err == ELOOP && links == Links::kRefuse) {
      return InvalidArgument(
          fmt::format("{} is a symbolic link; ocib does not follow links here", path));
    }
    return IoError(fmt::format("open {}: {}", path, ErrnoText(err)));
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError(fmt::format("stat {}: {}", path, ErrnoText(err)));
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument(
        fmt::format("{} is {}, not a regular file; refusing to read it", path, KindOf(st.st_mode)));
  }
  return RegularFile(fd, st.st_size, path);
}

RegularFile::~RegularFile() {
  if (fd_ >= 0) ::close(fd_);
}

RegularFile::RegularFile(RegularFile&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), size_(other.size_), path_(std::move(other.path_)) {}

RegularFile& RegularFile::operator=(RegularFile&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
    size_ = other.size_;
    path_ = std::move(other.path_);
  }
  return *this;
}

int RegularFile::Release() { return std::exchange(fd_, -1); }

Result<std::string> ReadRegularFile(const std::string& path, size_t max_size, Links links) {
  OCIB_ASSIGN_OR_RETURN(RegularFile file, RegularFile::Open(path, links));
  if (static_cast<uint64_t>(file.size()) > max_size) {
    return InvalidArgument(fmt::format("{} is larger than {} bytes", path, max_size));
  }
  // One byte more than the size, to see a file that grew.
  std::string out(static_cast<size_t>(file.size()) + 1, '\0');
  size_t got = 0;
  while (got < out.size()) {
    ssize_t n = ::read(file.fd(), out.data() + got, out.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(fmt::format("read {}: {}", path, ErrnoText(errno)));
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  if (got > static_cast<size_t>(file.size())) {
    return DataLoss(
        fmt::format("{} grew while it was read (more than {} bytes)", path, file.size()));
  }
  out.resize(got);
  return out;
}

}  // namespace ocib::io
