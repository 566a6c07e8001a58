// Where flattened layers go (see unpack.h): a directory, written without
// ever following a symlink on disk, or one tar.
#include <dirent.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "lib/archive/tar_writer.h"
#include "lib/archive/unpack.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include <sys/stat.h>
#include <sys/sysmacros.h>

namespace ocib::archive {
namespace {

class Fd {
 public:
  Fd() = default;
  explicit Fd(int fd) : fd_(fd) {}
  Fd(Fd&& o) noexcept : fd_(std::exchange(o.fd_, -1)) {}
  Fd& operator=(Fd&& o) noexcept {
    if (this != &o) {
      Reset();
      fd_ = std::exchange(o.fd_, -1);
    }
    return *this;
  }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
  ~Fd() { Reset(); }
  int get() const { return fd_; }
  void Reset() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
  }

 private:
  int fd_ = -1;
};

std::pair<std::string, std::string> SplitLast(const std::string& path) {
  const size_t slash = path.rfind('/');
  if (slash == std::string::npos) return {"", path};
  return {path.substr(0, slash), path.substr(slash + 1)};
}

struct DirAttributes {
  std::string path;
  FlatEntry entry;
};

class DirectorySink : public FlatSink {
 public:
  DirectorySink(std::string dir, Fd root, const DirectorySinkOptions& options,
                DirectorySinkReport* report)
      : dir_(std::move(dir)), root_(std::move(root)), options_(options), report_(report) {
    root_user_ = ::geteuid() == 0;
    report_->owners_kept = root_user_;
  }

  Status Add(const FlatEntry& entry, Reader* data) override;
  Status Finish() override;

 private:
  // An open descriptor of directory `path` (relative to the root), made
  // (mode 0755) where missing; never through a symlink.
  Result<int> OpenDir(const std::string& path);
  Status WriteRegular(int parent, const std::string& name, const FlatEntry& e, Reader& data);
  Status Owner(int parent, const std::string& name, const FlatEntry& e);
  Status Times(int parent, const std::string& name, int64_t mtime);
  Error Errno(std::string_view what, const std::string& path, int err) const {
    return IoError(fmt::format("{} {}/{}: {}", what, dir_, path, io::ErrnoText(err)));
  }

  std::string dir_;
  Fd root_;
  DirectorySinkOptions options_;
  DirectorySinkReport* report_;
  bool root_user_ = false;
  std::string cached_path_;
  Fd cached_;
  std::vector<DirAttributes> dirs_;
};

Result<int> DirectorySink::OpenDir(const std::string& path) {
  if (path.empty()) return root_.get();
  if (cached_.get() >= 0 && cached_path_ == path) return cached_.get();
  Fd cur(::dup(root_.get()));
  if (cur.get() < 0) return Errno("dup", "", errno);
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string::npos) slash = path.size();
    const std::string part = path.substr(start, slash - start);
    const std::string so_far = path.substr(0, slash);
    int fd = ::openat(cur.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT) {
      if (::mkdirat(cur.get(), part.c_str(), 0755) != 0 && errno != EEXIST) {
        return Errno("creating directory", so_far, errno);
      }
      fd = ::openat(cur.get(), part.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    }
    if (fd < 0) {
      const int err = errno;
      if (err == ELOOP || err == ENOTDIR) {
        return InvalidArgument(fmt::format(
            "refusing to write below {}/{}: it is not a directory (a symlink is never followed)",
            dir_, so_far));
      }
      return Errno("opening directory", so_far, err);
    }
    cur = Fd(fd);
    start = slash + 1;
  }
  cached_path_ = path;
  cached_ = std::move(cur);
  return cached_.get();
}

Status DirectorySink::Owner(int parent, const std::string& name, const FlatEntry& e) {
  if (!root_user_) return {};
  if (::fchownat(parent, name.c_str(), static_cast<uid_t>(e.uid), static_cast<gid_t>(e.gid),
                 AT_SYMLINK_NOFOLLOW) != 0) {
    return Errno("setting the owner of", e.path, errno);
  }
  return {};
}

Status DirectorySink::Times(int parent, const std::string& name, int64_t mtime) {
  struct timespec times[2] = {{mtime, 0}, {mtime, 0}};
  if (::utimensat(parent, name.c_str(), times, AT_SYMLINK_NOFOLLOW) != 0) {
    return Errno("setting the times of", name, errno);
  }
  return {};
}

Status DirectorySink::WriteRegular(int parent, const std::string& name, const FlatEntry& e,
                                   Reader& data) {
  Fd fd(::openat(parent, name.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600));
  if (fd.get() < 0) return Errno("creating", e.path, errno);
  std::vector<char> buf(size_t{1} << 16);
  int64_t left = e.size;
  while (left > 0) {
    OCIB_ASSIGN_OR_RETURN(size_t n,
                          data.Read(buf.data(), std::min(buf.size(), static_cast<size_t>(left))));
    if (n == 0) return DataLoss(fmt::format("{} ends early in its layer", e.path));
    OCIB_RETURN_IF_ERROR(fsutil::WriteAll(fd.get(), buf.data(), n, dir_ + "/" + e.path));
    left -= static_cast<int64_t>(n);
  }
  OCIB_RETURN_IF_ERROR(Owner(parent, name, e));
  uint32_t mode = e.mode;
  if (!root_user_ && (mode & 0400) == 0) {
    mode |= 0400;
    report_->modes_widened = true;
  }
  if (::fchmod(fd.get(), mode) != 0) return Errno("setting the mode of", e.path, errno);
  return {};
}

Status DirectorySink::Add(const FlatEntry& e, Reader* data) {
  auto [parent_path, name] = SplitLast(e.path);
  OCIB_ASSIGN_OR_RETURN(int parent, OpenDir(parent_path));
  switch (e.type) {
    case NodeType::kDirectory:
      if (::mkdirat(parent, name.c_str(), 0700) != 0) {
        struct stat st {};
        if (errno != EEXIST || ::fstatat(parent, name.c_str(), &st, AT_SYMLINK_NOFOLLOW) != 0 ||
            !S_ISDIR(st.st_mode)) {
          return Errno("creating directory", e.path, errno == 0 ? EEXIST : errno);
        }
      }
      dirs_.push_back({e.path, e});
      return {};
    case NodeType::kRegular:
      OCIB_RETURN_IF_ERROR(WriteRegular(parent, name, e, *data));
      break;
    case NodeType::kSymlink:
      if (::symlinkat(e.link.c_str(), parent, name.c_str()) != 0) {
        return Errno("creating symlink", e.path, errno);
      }
      OCIB_RETURN_IF_ERROR(Owner(parent, name, e));
      break;
    case NodeType::kHardlink: {
      auto [target_dir, target_name] = SplitLast(e.link);
      Fd target(::dup(parent));
      OCIB_ASSIGN_OR_RETURN(int tdir, OpenDir(target_dir));
      // OpenDir may have replaced the cached descriptor `parent` was.
      const int link_parent = target_dir == parent_path ? tdir : target.get();
      if (::linkat(tdir, target_name.c_str(), link_parent, name.c_str(), 0) != 0) {
        return Errno("creating hard link", e.path, errno);
      }
      return {};
    }
    case NodeType::kCharDevice:
    case NodeType::kBlockDevice:
    case NodeType::kFifo: {
      if (e.type != NodeType::kFifo && (!root_user_ || !options_.devices)) {
        ++report_->skipped_devices;
        return {};
      }
      const mode_t kind = e.type == NodeType::kFifo         ? S_IFIFO
                          : e.type == NodeType::kCharDevice ? S_IFCHR
                                                            : S_IFBLK;
      if (::mknodat(parent, name.c_str(), kind | 0600, makedev(e.dev_major, e.dev_minor)) != 0) {
        return Errno("creating node", e.path, errno);
      }
      OCIB_RETURN_IF_ERROR(Owner(parent, name, e));
      if (::fchmodat(parent, name.c_str(), e.mode, 0) != 0) {
        return Errno("setting the mode of", e.path, errno);
      }
      break;
    }
  }
  return Times(parent, name, e.mtime);
}

Status DirectorySink::Finish() {
  // Deepest first, so that a directory without write permission is set
  // after its children were made.
  std::sort(dirs_.begin(), dirs_.end(),
            [](const DirAttributes& a, const DirAttributes& b) { return a.path > b.path; });
  for (const DirAttributes& d : dirs_) {
    auto [parent_path, name] = SplitLast(d.path);
    OCIB_ASSIGN_OR_RETURN(int parent, OpenDir(parent_path));
    OCIB_RETURN_IF_ERROR(Owner(parent, name, d.entry));
    uint32_t mode = d.entry.mode;
    if (!root_user_ && (mode & 0700) != 0700) {
      mode |= 0700;
      report_->modes_widened = true;
    }
    if (::fchmodat(parent, name.c_str(), mode, 0) != 0) {
      return Errno("setting the mode of", d.path, errno);
    }
    OCIB_RETURN_IF_ERROR(Times(parent, name, d.entry.mtime));
  }
  cached_.Reset();
  return {};
}

class TarSink : public FlatSink {
 public:
  TarSink(Writer& out, int64_t* skipped) : tar_(&out), skipped_(skipped) {}

  Status Add(const FlatEntry& e, Reader* data) override {
    tar::Header h;
    h.path = e.path;
    h.mode = e.mode;
    h.uid = e.uid;
    h.gid = e.gid;
    h.mtime = e.mtime;
    switch (e.type) {
      case NodeType::kDirectory:
        h.type = tar::EntryType::kDirectory;
        break;
      case NodeType::kRegular:
        h.type = tar::EntryType::kRegular;
        h.size = e.size;
        break;
      case NodeType::kSymlink:
        h.type = tar::EntryType::kSymlink;
        h.link_target = e.link;
        break;
      case NodeType::kHardlink:
        h.type = tar::EntryType::kHardlink;
        h.link_target = e.link;
        break;
      default:
        ++*skipped_;
        return {};
    }
    OCIB_RETURN_IF_ERROR(tar_.WriteHeader(h));
    if (e.type != NodeType::kRegular) return {};
    std::vector<char> buf(size_t{1} << 16);
    int64_t left = e.size;
    while (left > 0) {
      OCIB_ASSIGN_OR_RETURN(
          size_t n, data->Read(buf.data(), std::min(buf.size(), static_cast<size_t>(left))));
      if (n == 0) return DataLoss(fmt::format("{} ends early in its layer", e.path));
      OCIB_RETURN_IF_ERROR(tar_.WriteData(buf.data(), n));
      left -= static_cast<int64_t>(n);
    }
    return {};
  }

  Status Finish() override { return tar_.Finish(); }

 private:
  tar::TarWriter tar_;
  int64_t* skipped_;
};

}  // namespace

Result<std::unique_ptr<FlatSink>> NewDirectorySink(const std::string& dir,
                                                   const DirectorySinkOptions& options,
                                                   DirectorySinkReport* report) {
  OCIB_RETURN_IF_ERROR(fsutil::MakeDirs(dir));
  Fd root(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC));
  if (root.get() < 0) {
    const int err = errno;
    if (err == ELOOP || err == ENOTDIR) {
      return InvalidArgument(fmt::format("{} is not a directory (or is a symlink)", dir));
    }
    return IoError(fmt::format("opening {}: {}", dir, io::ErrnoText(err)));
  }
  const int probe = ::dup(root.get());
  DIR* d = probe >= 0 ? ::fdopendir(probe) : nullptr;
  if (d == nullptr) {
    const int err = errno;
    if (probe >= 0) ::close(probe);
    return IoError(fmt::format("reading {}: {}", dir, io::ErrnoText(err)));
  }
  bool empty = true;
  while (struct dirent* ent = ::readdir(d)) {
    const std::string_view n = ent->d_name;
    if (n != "." && n != "..") empty = false;
  }
  ::closedir(d);
  if (!empty) return InvalidArgument(fmt::format("{} is not empty", dir));
  return std::unique_ptr<FlatSink>(new DirectorySink(dir, std::move(root), options, report));
}

std::unique_ptr<FlatSink> NewTarSink(Writer& out, int64_t* skipped) {
  return std::make_unique<TarSink>(out, skipped);
}

}  // namespace ocib::archive
