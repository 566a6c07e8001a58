// Tarballs and directories into FileTrees (lib/archive/tar_read.h).
#include "lib/archive/tar_read.h"

#include <archive_entry.h>
#include <dirent.h>
#include <unistd.h>

#include <algorithm>
#include <map>
#include <memory>
#include <string_view>
#include <utility>
#include <vector>

#include <archive.h>
#include <fmt/format.h>

#include "lib/archive/libarchive_api.h"
#include "lib/archive/libarchive_error.h"
#include "lib/io/file.h"
#include "lib/io/streams.h"
#include <sys/stat.h>

namespace ocib::tar {
namespace {

// Linux's NAME_MAX and PATH_MAX - 1 (lib/builder/input_checks.h).
constexpr size_t kMaxName = 255;
constexpr size_t kMaxPath = 4095;

using archive::LibarchiveApi;

struct ArchiveCloser {
  const LibarchiveApi* api;
  void operator()(struct archive* a) const { api->read_free(a); }
};
using ArchivePtr = std::unique_ptr<struct archive, ArchiveCloser>;

// `raw` made relative ("./a/b/" -> "a/b"); "" for the root itself.
// kInvalidArgument for an absolute path, a ".." component, a long name or
// path, or a whiteout name (unless kept).
Result<std::string> EntryPath(std::string_view raw, const std::string& where,
                              const ReadOptions& options) {
  if (raw.empty() || raw.front() == '/') {
    return InvalidArgument(fmt::format("{}: entry \"{}\" is not a relative path", where, raw));
  }
  std::string out;
  size_t start = 0;
  while (start <= raw.size()) {
    size_t slash = raw.find('/', start);
    std::string_view name =
        raw.substr(start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (name == "..") {
      return InvalidArgument(fmt::format(R"({}: entry "{}" has a ".." component)", where, raw));
    }
    if (name.size() > kMaxName) {
      return InvalidArgument(
          fmt::format("{}: entry \"{}\" has a name of {} bytes; Linux allows at "
                      "most {}",
                      where, raw.substr(0, 200), name.size(), kMaxName));
    }
    if (!options.keep_whiteouts && name.starts_with(".wh.")) {
      return InvalidArgument(fmt::format(
          "{}: entry \"{}\" is a whiteout (.wh.*): in a layer it deletes files of the image "
          "below; allow whiteouts explicitly to keep it",
          where, raw));
    }
    if (!name.empty() && name != ".") out += (out.empty() ? "" : "/") + std::string(name);
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  if (out.size() + 1 > kMaxPath) {
    return InvalidArgument(
        fmt::format("{}: entry \"{}...\" is {} bytes long; Linux allows at most {}", where,
                    out.substr(0, 200), out.size() + 1, kMaxPath));
  }
  return out;
}

// Collects the entries, checking duplicates and limits.
class TreeBuilder {
 public:
  TreeBuilder(std::string where, const ReadOptions& options)
      : where_(std::move(where)), options_(options) {}

  Status Claim(const std::string& path, bool directory) {
    if (++entries_ > options_.max_entries) {
      return InvalidArgument(fmt::format("{}: more than {} entries", where_, options_.max_entries));
    }
    auto [it, fresh] = seen_.emplace(path, directory);
    if (!fresh && !(directory && it->second)) {
      return InvalidArgument(fmt::format("{}: two entries at /{}", where_, path));
    }
    return OkStatus();
  }

  Status AddFile(const std::string& path, std::string content, bool exec) {
    bytes_ += static_cast<int64_t>(content.size());
    if (bytes_ > options_.max_bytes) {
      return InvalidArgument(
          fmt::format("{}: more than {} bytes of file content", where_, options_.max_bytes));
    }
    return tree_.AddFile(path, std::move(content), exec ? 0755 : 0644);
  }

  // A hard link becomes a copy of its target, an earlier regular file (the
  // only copy of the content held besides the tree's own).
  Status AddHardlink(const std::string& path, const std::string& target) {
    const FileEntry* t = tree_.Find(target);
    if (t == nullptr || t->type != FileEntry::Type::kRegular || !t->content) {
      return InvalidArgument(
          fmt::format("{}: hard link /{} points at /{}, which is not an earlier regular file",
                      where_, path, target));
    }
    return AddFile(path, *t->content, (t->mode & 0111) != 0);
  }

  FileTree& tree() { return tree_; }
  const std::string& where() const { return where_; }
  const ReadOptions& options() const { return options_; }

 private:
  std::string where_;
  ReadOptions options_;
  FileTree tree_;
  std::map<std::string, bool> seen_;
  size_t entries_ = 0;
  int64_t bytes_ = 0;
};

Result<std::string> ReadData(const LibarchiveApi& api, struct archive* a, int64_t size,
                             const TreeBuilder& b, const std::string& path) {
  if (size < 0 || size > b.options().max_bytes) {
    return InvalidArgument(
        fmt::format("{}: /{} is larger than {} bytes", b.where(), path, b.options().max_bytes));
  }
  std::string content(static_cast<size_t>(size), '\0');
  size_t done = 0;
  while (done < content.size()) {
    la_ssize_t n = api.read_data(a, content.data() + done, content.size() - done);
    if (n < 0) {
      return InvalidArgument(
          fmt::format("{}: reading /{}: {}", b.where(), path, ArchiveErrorText(api, a)));
    }
    if (n == 0) return InvalidArgument(fmt::format("{}: /{} is cut short", b.where(), path));
    done += static_cast<size_t>(n);
  }
  return content;
}

Status AddEntry(const LibarchiveApi& api, struct archive* a, struct archive_entry* entry,
                TreeBuilder& b) {
  const char* raw = api.entry_pathname(entry);
  OCIB_ASSIGN_OR_RETURN(std::string path,
                        EntryPath(raw == nullptr ? "" : raw, b.where(), b.options()));
  const char* hard = api.entry_hardlink(entry);
  const mode_t type = api.entry_filetype(entry);
  if (path.empty()) {
    if (type == AE_IFDIR) return OkStatus();  // "./": the root
    return InvalidArgument(fmt::format("{}: entry \"{}\" names the root", b.where(), raw));
  }
  OCIB_RETURN_IF_ERROR(b.Claim(path, type == AE_IFDIR && hard == nullptr));
  if (hard != nullptr) {
    OCIB_ASSIGN_OR_RETURN(std::string target, EntryPath(hard, b.where(), b.options()));
    return b.AddHardlink(path, target);
  }
  if (type == AE_IFDIR) return b.tree().AddDirectory(path, 0755);
  if (type == AE_IFLNK) {
    const char* target = api.entry_symlink(entry);
    if (target == nullptr || *target == '\0' || std::string_view(target).size() > kMaxPath) {
      return InvalidArgument(fmt::format("{}: symlink /{} has no usable target", b.where(), path));
    }
    return b.tree().AddSymlink(path, target);
  }
  if (type != AE_IFREG) {
    return InvalidArgument(fmt::format(
        "{}: /{} is a device, FIFO or socket; a layer holds files, directories and links",
        b.where(), path));
  }
  OCIB_ASSIGN_OR_RETURN(std::string content, ReadData(api, a, api.entry_size(entry), b, path));
  return b.AddFile(path, std::move(content), (api.entry_perm(entry) & 0111) != 0);
}

Result<FileTree> ReadArchive(const LibarchiveApi& api, struct archive* a, TreeBuilder& b) {
  struct archive_entry* entry = nullptr;
  int r = ARCHIVE_OK;
  while ((r = api.read_next_header(a, &entry)) == ARCHIVE_OK || r == ARCHIVE_WARN) {
    OCIB_RETURN_IF_ERROR(AddEntry(api, a, entry, b));
  }
  if (r != ARCHIVE_EOF) {
    return InvalidArgument(
        fmt::format("{} is not a readable tar archive: {}", b.where(), ArchiveErrorText(api, a)));
  }
  return std::move(b.tree());
}

ArchivePtr NewReader(const LibarchiveApi& api) {
  ArchivePtr a(api.read_new(), ArchiveCloser{&api});
  if (a) {
    api.read_support_format_tar(a.get());
    api.read_support_filter_gzip(a.get());
    api.read_support_filter_zstd(a.get());
  }
  return a;
}

}  // namespace

Result<FileTree> ReadTarFile(const std::string& path, const ReadOptions& options) {
  auto loaded = archive::LoadLibarchive();
  if (!loaded) return std::move(loaded).error().With(path);
  const LibarchiveApi& api = **loaded;
  OCIB_ASSIGN_OR_RETURN(io::RegularFile file, io::RegularFile::Open(path));
  ArchivePtr a = NewReader(api);
  if (!a) return Internal("archive_read_new failed");
  TreeBuilder b(path, options);
  if (api.read_open_fd(a.get(), file.fd(), 1 << 16) != ARCHIVE_OK) {
    return InvalidArgument(fmt::format("{} is not a tar archive (.tar, .tar.gz, .tar.zst): {}",
                                       path, ArchiveErrorText(api, a.get())));
  }
  return ReadArchive(api, a.get(), b);
}

Result<FileTree> ReadTarBytes(const void* data, size_t size, const std::string& name,
                              const ReadOptions& options) {
  auto loaded = archive::LoadLibarchive();
  if (!loaded) return std::move(loaded).error().With(name);
  const LibarchiveApi& api = **loaded;
  ArchivePtr a = NewReader(api);
  if (!a) return Internal("archive_read_new failed");
  TreeBuilder b(name, options);
  if (api.read_open_memory(a.get(), data, size) != ARCHIVE_OK) {
    return InvalidArgument(fmt::format("{} is not a tar archive (.tar, .tar.gz, .tar.zst): {}",
                                       name, ArchiveErrorText(api, a.get())));
  }
  return ReadArchive(api, a.get(), b);
}

namespace {

Result<std::vector<std::string>> ListNames(const std::string& path) {
  std::unique_ptr<DIR, int (*)(DIR*)> dir(::opendir(path.c_str()), ::closedir);
  if (!dir) return IoError(fmt::format("open directory {}: {}", path, io::ErrnoText(errno)));
  std::vector<std::string> names;
  // readdir on this call's own stream.
  while (struct dirent* ent = ::readdir(dir.get())) {  // NOLINT(concurrency-mt-unsafe)
    std::string name = ent->d_name;
    if (name != "." && name != "..") names.push_back(name);
  }
  std::sort(names.begin(), names.end());
  return names;
}

// Adds `dir`/`name` at `name`: a symlink as a symlink (not followed).
Status AddTopLevel(const std::string& dir, const std::string& name, FileTree& tree) {
  std::string child = dir + "/" + name;
  struct stat st {};
  if (::lstat(child.c_str(), &st) != 0) {
    return IoError(fmt::format("stat {}: {}", child, io::ErrnoText(errno)));
  }
  if (!S_ISLNK(st.st_mode)) return tree.AddHostPath(child, name);
  std::string target(static_cast<size_t>(st.st_size) + 1, '\0');
  ssize_t n = ::readlink(child.c_str(), target.data(), target.size());
  if (n < 0) return IoError(fmt::format("readlink {}: {}", child, io::ErrnoText(errno)));
  target.resize(static_cast<size_t>(n));
  return tree.AddSymlink(name, target);
}

}  // namespace

Result<FileTree> ReadDirectory(const std::string& path, const ReadOptions& options) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0) {
    int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 fmt::format("stat {}: {}", path, io::ErrnoText(err)));
  }
  if (!S_ISDIR(st.st_mode)) {
    return InvalidArgument(fmt::format("{} is not a directory or a tar archive", path));
  }
  FileTree tree;
  OCIB_ASSIGN_OR_RETURN(std::vector<std::string> names, ListNames(path));
  for (const std::string& name : names) OCIB_RETURN_IF_ERROR(AddTopLevel(path, name, tree));
  TreeBuilder check(path, options);
  for (const FileEntry& e : tree.SortedEntries()) {
    OCIB_RETURN_IF_ERROR(EntryPath(e.path, path, options));
    OCIB_RETURN_IF_ERROR(check.Claim(e.path, e.type == FileEntry::Type::kDirectory));
  }
  return tree;
}

}  // namespace ocib::tar
