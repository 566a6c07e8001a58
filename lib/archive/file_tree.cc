#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "ocib/layer.h"

#include "lib/io/streams.h"
#include <sys/stat.h>

namespace ocib {

using io::ErrnoText;

Result<std::string> FileTree::NormalizePath(std::string_view dest) {
  if (dest.find('\0') != std::string_view::npos) {
    return InvalidArgument("destination path contains a NUL byte");
  }
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= dest.size()) {
    size_t slash = dest.find('/', start);
    std::string_view part = dest.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (part == "..") {
      if (parts.empty()) {
        return InvalidArgument(fmt::format("destination path \"{}\" escapes the image root", dest));
      }
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.emplace_back(part);
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (parts.empty()) {
    return InvalidArgument(fmt::format("destination path \"{}\" names the image root", dest));
  }
  std::string out;
  for (const auto& p : parts) {
    if (!out.empty()) out += '/';
    out += p;
  }
  return out;
}

void FileTree::Put(FileEntry e) {
  content_id_.clear();
  auto [it, inserted] = index_.try_emplace(e.path, entries_.size());
  if (!inserted) {
    entries_[it->second] = std::move(e);
    return;
  }
  entries_.push_back(std::move(e));
}

const FileEntry* FileTree::Find(std::string_view path) const {
  auto it = index_.find(std::string(path));
  return it == index_.end() ? nullptr : &entries_[it->second];
}

void FileTree::Merge(const FileTree& other) {
  for (const FileEntry& e : other.entries_) Put(e);
}

void FileTree::EraseIf(const std::function<bool(const FileEntry&)>& drop) {
  content_id_.clear();
  std::vector<FileEntry> kept;
  index_.clear();
  for (auto& e : entries_) {
    if (drop(e)) continue;
    index_.emplace(e.path, kept.size());
    kept.push_back(std::move(e));
  }
  entries_ = std::move(kept);
}

Status FileTree::AddFile(std::string_view dest, std::string content, uint32_t mode, int64_t uid,
                         int64_t gid) {
  OCIB_ASSIGN_OR_RETURN(std::string path, NormalizePath(dest));
  FileEntry e;
  e.path = std::move(path);
  e.type = FileEntry::Type::kRegular;
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  e.size = static_cast<int64_t>(content.size());
  e.content = std::move(content);
  Put(std::move(e));
  return {};
}

Status FileTree::AddDirectory(std::string_view dest, uint32_t mode, int64_t uid, int64_t gid) {
  OCIB_ASSIGN_OR_RETURN(std::string path, NormalizePath(dest));
  FileEntry e;
  e.path = std::move(path);
  e.type = FileEntry::Type::kDirectory;
  e.mode = mode;
  e.uid = uid;
  e.gid = gid;
  Put(std::move(e));
  return {};
}

Status FileTree::AddSymlink(std::string_view dest, std::string target) {
  OCIB_ASSIGN_OR_RETURN(std::string path, NormalizePath(dest));
  FileEntry e;
  e.path = std::move(path);
  e.type = FileEntry::Type::kSymlink;
  e.mode = 0777;
  e.link_target = std::move(target);
  Put(std::move(e));
  return {};
}

Status FileTree::AddHostFile(const std::string& source, std::string_view dest, uint32_t mode) {
  OCIB_ASSIGN_OR_RETURN(std::string path, NormalizePath(dest));
  struct stat st {};
  if (::stat(source.c_str(), &st) != 0) {
    int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 fmt::format("stat {}: {}", source, ErrnoText(err)));
  }
  if (S_ISDIR(st.st_mode))
    return InvalidArgument(fmt::format("{} is a directory, not a file", source));
  if (!S_ISREG(st.st_mode)) return InvalidArgument(fmt::format("{} is not a regular file", source));
  if (::access(source.c_str(), R_OK) != 0) {
    return Error(ErrorCode::kIo, fmt::format("cannot read {}: {}", source, ErrnoText(errno)));
  }
  FileEntry e;
  e.path = std::move(path);
  e.type = FileEntry::Type::kRegular;
  e.mode = mode;
  e.source = source;
  e.size = st.st_size;
  Put(std::move(e));
  return {};
}

namespace {

uint32_t NormalizedFileMode(mode_t m) { return (m & 0111) != 0 ? 0755 : 0644; }

// The entry for a directory of AddHostPath at `path`.
FileEntry HostDirectoryEntry(const std::string& path) {
  FileEntry d;
  d.path = path;
  d.type = FileEntry::Type::kDirectory;
  d.mode = 0755;
  return d;
}

// Stats the host path `source` for AddHostPath, following it once if it is a symlink.
Result<struct stat> StatHostPath(const std::string& source) {
  struct stat st {};
  if (::lstat(source.c_str(), &st) != 0) {
    int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 fmt::format("stat {}: {}", source, ErrnoText(err)));
  }
  if (S_ISLNK(st.st_mode)) {
    // A symlink given directly is followed once: the user named the file.
    if (::stat(source.c_str(), &st) != 0) {
      return NotFound(fmt::format("stat {}: {}", source, ErrnoText(errno)));
    }
  }
  return st;
}

// The entry for the readable host regular file `host` (stat `st`) at `path`.
Result<FileEntry> HostFileEntry(const std::string& host, const std::string& path,
                                const struct stat& st) {
  if (::access(host.c_str(), R_OK) != 0) {
    return IoError(fmt::format("cannot read {}: {}", host, ErrnoText(errno)));
  }
  FileEntry e;
  e.path = path;
  e.mode = NormalizedFileMode(st.st_mode);
  e.source = host;
  e.size = st.st_size;
  if (st.st_nlink > 1) {
    e.host_dev = st.st_dev;
    e.host_ino = st.st_ino;
  }
  return e;
}

// The entry for the host symlink `host` (lstat `st`) at `path`, kept as a symlink.
Result<FileEntry> HostSymlinkEntry(const std::string& host, const std::string& path,
                                   const struct stat& st) {
  std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
  ssize_t n = ::readlink(host.c_str(), target.data(), target.size());
  if (n < 0) return IoError(fmt::format("readlink {}: {}", host, ErrnoText(errno)));
  target.resize(static_cast<size_t>(n));
  FileEntry e;
  e.path = path;
  e.type = FileEntry::Type::kSymlink;
  e.mode = 0777;
  e.link_target = target;
  return e;
}

// The entry for `host` (lstat `st`, not a directory) found at `path` in a directory walk.
Result<FileEntry> HostChildEntry(const std::string& host, const std::string& path,
                                 const struct stat& st) {
  if (S_ISLNK(st.st_mode)) return HostSymlinkEntry(host, path, st);
  if (S_ISREG(st.st_mode)) return HostFileEntry(host, path, st);
  return InvalidArgument(
      fmt::format("{} is a special file (device, socket or FIFO); not supported", host));
}

// The names in the host directory `host` but "." and "..", sorted.
Result<std::vector<std::string>> SortedDirectoryNames(const std::string& host) {
  DIR* dir = ::opendir(host.c_str());
  if (dir == nullptr) return IoError(fmt::format("open directory {}: {}", host, ErrnoText(errno)));
  std::vector<std::string> names;
  // readdir is MT-Unsafe only on a stream shared between threads; `dir` is
  // this call's own (readdir_r is deprecated).
  while (struct dirent* ent = ::readdir(dir)) {  // NOLINT(concurrency-mt-unsafe)
    std::string name = ent->d_name;
    if (name == "." || name == "..") continue;
    names.push_back(name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

}  // namespace

Status FileTree::AddHostPath(const std::string& source, std::string_view dest) {
  OCIB_ASSIGN_OR_RETURN(std::string root, NormalizePath(dest));
  OCIB_ASSIGN_OR_RETURN(struct stat st, StatHostPath(source));
  if (S_ISREG(st.st_mode)) {
    OCIB_ASSIGN_OR_RETURN(FileEntry e, HostFileEntry(source, root, st));
    Put(std::move(e));
    return {};
  }
  if (!S_ISDIR(st.st_mode))
    return InvalidArgument(fmt::format("{} is not a file or directory", source));
  // Depth-first walk; entries are sorted later.
  std::vector<std::pair<std::string, std::string>> stack{{source, root}};
  while (!stack.empty()) {
    auto [host, path] = stack.back();
    stack.pop_back();
    Put(HostDirectoryEntry(path));
    OCIB_ASSIGN_OR_RETURN(std::vector<std::string> names, SortedDirectoryNames(host));
    for (const auto& name : names) {
      std::string child = host + "/" + name;
      std::string child_path = path + "/" + name;
      struct stat cst {};
      if (::lstat(child.c_str(), &cst) != 0)
        return IoError(fmt::format("stat {}: {}", child, ErrnoText(errno)));
      if (S_ISDIR(cst.st_mode)) {
        stack.emplace_back(child, child_path);
        continue;
      }
      OCIB_ASSIGN_OR_RETURN(FileEntry e, HostChildEntry(child, child_path, cst));
      Put(std::move(e));
    }
  }
  return {};
}

std::vector<FileEntry> FileTree::SortedEntries() const {
  std::vector<FileEntry> out = entries_;
  std::sort(out.begin(), out.end(),
            [](const FileEntry& a, const FileEntry& b) { return a.path < b.path; });
  // Files that share a host inode: the first in sorted order carries the
  // content, the others become hard links to it.
  std::map<std::pair<uint64_t, uint64_t>, std::string> first;
  for (auto& e : out) {
    if (e.type != FileEntry::Type::kRegular || e.host_ino == 0) continue;
    auto key = std::make_pair(e.host_dev, e.host_ino);
    auto [it, inserted] = first.emplace(key, e.path);
    if (!inserted) {
      e.type = FileEntry::Type::kHardlink;
      e.link_target = it->second;
      e.size = 0;
    }
  }
  return out;
}

int64_t FileTree::ContentBytes() const {
  int64_t n = 0;
  for (const auto& e : entries_) n += e.size;
  return n;
}

}  // namespace ocib
