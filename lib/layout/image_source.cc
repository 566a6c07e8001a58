// Read-only image sources: layout directories and archives read in place.
#include "lib/layout/image_source.h"

#include <archive_entry.h>
#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <utility>
#include <vector>

#include <archive.h>
#include <fmt/format.h>

#include "ocib/layer.h"
#include "ocib/media_type.h"

#include "lib/archive/libarchive_api.h"
#include "lib/archive/libarchive_error.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include "lib/layout/docker_archive.h"
#include <sys/stat.h>

namespace ocib {
namespace {

constexpr size_t kMaxIndexBytes = size_t{4} << 20;

// A layout directory.
class DirectorySource : public ImageSource {
 public:
  DirectorySource(std::unique_ptr<OciLayout> owned, OciLayout& layout)
      : owned_(std::move(owned)), layout_(layout), name_("oci:" + layout.path()) {}
  Result<bool> Has(const Digest& d) override { return layout_.Has(d); }
  Result<std::unique_ptr<Reader>> Open(const Digest& d) override { return layout_.Open(d); }
  Result<Index> ReadIndex() override { return layout_.ReadIndex(); }
  const std::string& name() const override { return name_; }
  OciLayout* directory() override { return &layout_; }
  Result<std::unique_ptr<Reader>> OpenRange(const Digest& d, int64_t offset,
                                            int64_t length) override {
    const std::string path = layout_.BlobPath(d);
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) {
      if (errno == ENOENT)
        return NotFound(fmt::format("blob {} is not in {}", d.ToString(), name_));
      return IoError(fmt::format("opening {}: {}", path, io::ErrnoText(errno)));
    }
    auto file = std::make_shared<archive::OpenFile>(fd, path);
    return std::unique_ptr<Reader>(new archive::MemberReader(std::move(file), offset, length));
  }

 private:
  std::unique_ptr<OciLayout> owned_;
  OciLayout& layout_;
  std::string name_;
};

// An OCI archive: a tar of a layout.
class OciArchiveSource : public ImageSource {
 public:
  OciArchiveSource(std::shared_ptr<archive::OpenFile> file,
                   std::map<std::string, archive::Member> members)
      : file_(std::move(file)), members_(std::move(members)), name_("oci-archive:" + file_->path) {}

  Result<bool> Has(const Digest& d) override { return members_.contains(BlobName(d)); }
  Result<std::unique_ptr<Reader>> Open(const Digest& d) override {
    OCIB_ASSIGN_OR_RETURN(archive::Member m, Find(d));
    return std::unique_ptr<Reader>(new archive::MemberReader(file_, m.offset, m.size));
  }
  Result<std::unique_ptr<Reader>> OpenRange(const Digest& d, int64_t offset,
                                            int64_t length) override {
    OCIB_ASSIGN_OR_RETURN(archive::Member m, Find(d));
    if (offset < 0 || length < 0 || offset > m.size || length > m.size - offset) {
      return InvalidArgument(fmt::format("range {}+{} is outside blob {} ({} bytes)", offset,
                                         length, d.ToString(), m.size));
    }
    return std::unique_ptr<Reader>(new archive::MemberReader(file_, m.offset + offset, length));
  }
  Result<Index> ReadIndex() override {
    OCIB_ASSIGN_OR_RETURN(std::string bytes,
                          archive::ReadMember(*file_, members_, "index.json", kMaxIndexBytes));
    auto index = Index::Parse(bytes);
    if (!index) return std::move(index).error().With(fmt::format("{}: index.json", name_));
    return index;
  }
  const std::string& name() const override { return name_; }

 private:
  static std::string BlobName(const Digest& d) {
    return fmt::format("blobs/{}/{}", d.algorithm(), d.encoded());
  }
  Result<archive::Member> Find(const Digest& d) {
    auto it = members_.find(BlobName(d));
    if (it == members_.end()) {
      return NotFound(fmt::format("blob {} is not in {}", d.ToString(), name_));
    }
    return it->second;
  }

  std::shared_ptr<archive::OpenFile> file_;
  std::map<std::string, archive::Member> members_;
  std::string name_;
};

// Normalises a member path: no leading "./" or "/"-less checks.
Result<std::string> MemberPath(std::string_view raw, const std::string& archive_path) {
  std::string p(raw);
  while (p.starts_with("./")) p.erase(0, 2);
  while (p.size() > 1 && p.ends_with("/")) p.pop_back();
  if (p.starts_with("/")) {
    return InvalidArgument(fmt::format("{}: member \"{}\" has an absolute path", archive_path, p));
  }
  std::string_view rest = p;
  while (!rest.empty()) {
    const size_t slash = rest.find('/');
    if (rest.substr(0, slash) == "..") {
      return InvalidArgument(fmt::format("{}: member \"{}\" leaves the archive", archive_path, p));
    }
    if (slash == std::string_view::npos) break;
    rest.remove_prefix(slash + 1);
  }
  return p;
}

// The member a symlink at `from` pointing to `target` names, inside the
// archive, or empty when it leaves it.
std::string ResolveLink(const std::string& from, const std::string& target) {
  if (target.starts_with("/")) return "";
  std::vector<std::string> parts;
  const size_t slash = from.rfind('/');
  std::string joined = slash == std::string::npos ? target : from.substr(0, slash + 1) + target;
  size_t start = 0;
  while (start <= joined.size()) {
    size_t end = joined.find('/', start);
    if (end == std::string::npos) end = joined.size();
    std::string part = joined.substr(start, end - start);
    if (part == "..") {
      if (parts.empty()) return "";
      parts.pop_back();
    } else if (!part.empty() && part != ".") {
      parts.push_back(part);
    }
    start = end + 1;
  }
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

struct ArchiveCloser {
  const archive::LibarchiveApi* api;
  void operator()(struct archive* a) const { api->read_free(a); }
};

// A gzip-compressed archive (`docker save | gzip`) is decompressed once
// into an unnamed temporary file under $TMPDIR (gone when closed) and read
// in place from there; any other file is returned as it is.
Result<std::shared_ptr<archive::OpenFile>> GunzipIfCompressed(
    std::shared_ptr<archive::OpenFile> file) {
  unsigned char magic[2] = {0, 0};
  if (::pread(file->fd, magic, sizeof magic, 0) != 2 || magic[0] != 0x1f || magic[1] != 0x8b) {
    return file;
  }
  OCIB_ASSIGN_OR_RETURN(const int fd, fsutil::OpenUnnamedTempFile("to decompress " + file->path));
  auto out = std::make_shared<archive::OpenFile>(fd, file->path);
  struct stat st {};
  if (::fstat(file->fd, &st) != 0) {
    return IoError(fmt::format("stat {}: {}", file->path, io::ErrnoText(errno)));
  }
  archive::MemberReader in(file, 0, st.st_size);
  fsutil::FdWriter sink(fd, file->path);
  Status done = DecompressLayer(in, media_type::kLayerTarGzip, sink);
  if (!done) return std::move(done).error().With(fmt::format("decompressing {}", file->path));
  return out;
}

}  // namespace

namespace archive {

Result<std::shared_ptr<OpenFile>> OpenRegularFile(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    const int err = errno;
    if (err == ENOENT) return NotFound(fmt::format("{} does not exist", path));
    if (err == ELOOP) return InvalidArgument(fmt::format("{} is a symlink", path));
    return IoError(fmt::format("opening {}: {}", path, io::ErrnoText(err)));
  }
  auto file = std::make_shared<OpenFile>(fd, path);
  struct stat st {};
  if (::fstat(fd, &st) != 0) return IoError(fmt::format("stat {}: {}", path, io::ErrnoText(errno)));
  if (!S_ISREG(st.st_mode)) return InvalidArgument(fmt::format("{} is not a regular file", path));
  return file;
}

Result<std::string> ReadMember(const OpenFile& file, const std::map<std::string, Member>& members,
                               const std::string& name, size_t max_size) {
  auto it = members.find(name);
  if (it == members.end()) return NotFound(fmt::format("{} has no {}", file.path, name));
  if (it->second.size > static_cast<int64_t>(max_size)) {
    return InvalidArgument(fmt::format("{}: {} is {} bytes, more than the {} allowed", file.path,
                                       name, it->second.size, max_size));
  }
  std::string bytes(static_cast<size_t>(it->second.size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    ssize_t n = ::pread(file.fd, bytes.data() + done, bytes.size() - done,
                        it->second.offset + static_cast<int64_t>(done));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) return IoError(fmt::format("reading {}: {}", file.path, io::ErrnoText(errno)));
    if (n == 0) return DataLoss(fmt::format("{} ends inside {}", file.path, name));
    done += static_cast<size_t>(n);
  }
  return bytes;
}

Result<std::map<std::string, Member>> IndexTar(int fd, const std::string& path,
                                               size_t max_members) {
  auto loaded = LoadLibarchive();
  if (!loaded) return std::move(loaded).error().With(path);
  const LibarchiveApi& api = **loaded;
  std::unique_ptr<struct archive, ArchiveCloser> a(api.read_new(), ArchiveCloser{&api});
  if (!a) return Internal("archive_read_new failed");
  api.read_support_format_tar(a.get());
  if (::lseek(fd, 0, SEEK_SET) != 0) {
    return IoError(fmt::format("seeking {}: {}", path, io::ErrnoText(errno)));
  }
  if (api.read_open_fd(a.get(), fd, 1 << 16) != ARCHIVE_OK) {
    return InvalidArgument(fmt::format("{} is not an uncompressed tar archive: {}", path,
                                       tar::ArchiveErrorText(api, a.get())));
  }
  std::map<std::string, Member> members;
  std::vector<std::pair<std::string, std::string>> links;
  struct archive_entry* entry = nullptr;
  size_t count = 0;
  int r = ARCHIVE_OK;
  while ((r = api.read_next_header(a.get(), &entry)) == ARCHIVE_OK) {
    if (++count > max_members) {
      return InvalidArgument(fmt::format("{} has more than {} members", path, max_members));
    }
    const char* raw = api.entry_pathname(entry);
    if (raw == nullptr) return InvalidArgument(fmt::format("{}: a member has no path", path));
    OCIB_ASSIGN_OR_RETURN(std::string name, MemberPath(raw, path));
    const auto type = api.entry_filetype(entry);
    if (type == AE_IFREG) {
      members[name] = Member{api.filter_bytes(a.get(), 0), api.entry_size(entry)};
    } else if (type == AE_IFLNK && api.entry_symlink(entry) != nullptr) {
      links.emplace_back(name, ResolveLink(name, api.entry_symlink(entry)));
    } else if (api.entry_hardlink(entry) != nullptr) {
      OCIB_ASSIGN_OR_RETURN(std::string target, MemberPath(api.entry_hardlink(entry), path));
      links.emplace_back(name, target);
    }
  }
  if (r != ARCHIVE_EOF) {
    return InvalidArgument(fmt::format("{} is not a readable tar archive: {}", path,
                                       tar::ArchiveErrorText(api, a.get())));
  }
  if (api.filter_code(a.get(), 0) != ARCHIVE_FILTER_NONE) {
    return InvalidArgument(fmt::format("{} is compressed; decompress it first", path));
  }
  for (const auto& [name, target] : links) {
    auto it = members.find(target);
    if (it != members.end() && !members.contains(name)) members[name] = it->second;
  }
  return members;
}

}  // namespace archive

Result<std::unique_ptr<BlobWriter>> ImageSource::NewWriter() {
  return Error(ErrorCode::kUnimplemented, fmt::format("{} is read-only", name()));
}

std::unique_ptr<ImageSource> LayoutImageSource(OciLayout& layout) {
  return std::make_unique<DirectorySource>(nullptr, layout);
}

Result<std::unique_ptr<ImageSource>> OpenImageSource(const ImageLocation& location) {
  if (const auto* l = location.layout()) {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<OciLayout> layout, OciLayout::Open(l->path));
    OciLayout& ref = *layout;
    return std::unique_ptr<ImageSource>(new DirectorySource(std::move(layout), ref));
  }
  const auto* a = location.archive();
  if (a == nullptr) {
    return InvalidArgument(
        fmt::format("{} is a registry reference, not a layout or archive", location.ToString()));
  }
  OCIB_ASSIGN_OR_RETURN(std::shared_ptr<archive::OpenFile> file, archive::OpenRegularFile(a->path));
  OCIB_ASSIGN_OR_RETURN(file, GunzipIfCompressed(std::move(file)));
  OCIB_ASSIGN_OR_RETURN(auto members, archive::IndexTar(file->fd, a->path));
  if (a->kind == ArchiveLocation::Kind::kDocker) {
    return OpenDockerArchive(std::move(file), std::move(members));
  }
  if (!members.contains("oci-layout") || !members.contains("index.json")) {
    return InvalidArgument(
        fmt::format("{} is not an OCI archive (no oci-layout or index.json)", a->path));
  }
  return std::unique_ptr<ImageSource>(new OciArchiveSource(std::move(file), std::move(members)));
}

Result<Descriptor> ResolveImage(ImageSource& source, const ImageLocation& location) {
  OCIB_ASSIGN_OR_RETURN(Index index, source.ReadIndex());
  if (const auto* l = location.layout()) {
    return SelectImage(index, l->tag, l->tag_given, l->digest, source.name());
  }
  if (const auto* a = location.archive()) {
    if (a->kind == ArchiveLocation::Kind::kDocker) {
      return SelectImage(index, a->repo_tag, !a->repo_tag.empty(), "", source.name());
    }
    return SelectImage(index, a->tag, a->tag_given, "", source.name());
  }
  return InvalidArgument(fmt::format("{} is not a layout or archive", location.ToString()));
}

}  // namespace ocib
