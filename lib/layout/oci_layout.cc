#include "ocib/oci_layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <filesystem>
#include <initializer_list>
#include <regex>
#include <thread>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/media_type.h"

#include "lib/io/file.h"
#include "lib/io/file_range_reader.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include <sys/file.h>
#include <sys/stat.h>

namespace ocib {

using io::ErrnoText;

namespace {

constexpr std::string_view kOciLayoutBytes = R"({"imageLayoutVersion":"1.0.0"})";

constexpr std::string_view kKnownLayoutVersion = "1.0.0";

// The digest of the file at `path` with `algorithm`, read without following
// a symbolic link.
Result<Digest> HashFile(const std::string& path, std::string_view algorithm) {
  OCIB_ASSIGN_OR_RETURN(auto reader, io::FileReader::Open(path, io::Links::kRefuse));
  DigestHasher h(algorithm);
  std::vector<char> buf(size_t{1} << 17);
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) return h.Finish();
    h.Update(buf.data(), n);
  }
}

// Whether the blob `digest` is stored at `path` already: a regular file of
// `size` bytes whose content is proven to have the digest (it is rehashed:
// a file of the right size with other content, left by a crash, a disk
// error or a person, is not reused but replaced).
bool StoredAndProven(const std::string& path, const Digest& digest, int64_t size) {
  struct stat st {};
  if (::lstat(path.c_str(), &st) != 0 || !S_ISREG(st.st_mode) || st.st_size != size) return false;
  auto got = HashFile(path, digest.algorithm());
  return got && *got == digest;
}

// A blob being written: tmp file in the layout, renamed to its digest on commit.
class LayoutBlobWriter final : public BlobWriter {
 public:
  LayoutBlobWriter(OciLayout* layout, int fd, std::string tmp)
      : layout_(layout), fd_(fd), tmp_(std::move(tmp)) {}
  ~LayoutBlobWriter() override { Abort(); }
  LayoutBlobWriter(const LayoutBlobWriter&) = delete;
  LayoutBlobWriter& operator=(const LayoutBlobWriter&) = delete;

  Status Write(const void* data, size_t size) override {
    if (fd_ < 0) return Internal("write to a finished blob writer");
    hasher_.Update(data, size);
    size_ += static_cast<int64_t>(size);
    return fsutil::WriteAll(fd_, data, size, tmp_);
  }

  Result<Descriptor> Commit(std::string_view media_type, std::optional<Digest> expected) override {
    if (fd_ < 0) return Internal("commit of a finished blob writer");
    Descriptor d;
    d.media_type = std::string(media_type);
    d.digest = hasher_.Finish();
    d.size = size_;
    if (expected && expected->algorithm() != d.digest.algorithm()) {
      // Written hashing sha256; a blob named by another algorithm is
      // rehashed from its temporary file.
      auto other = HashFile(tmp_, expected->algorithm());
      if (!other) {
        Abort();
        return std::move(other).error();
      }
      d.digest = *other;
    }
    if (expected && *expected != d.digest) {
      Abort();
      return DataLoss(fmt::format("content digest {} does not match expected {}",
                                  d.digest.ToString(), expected->ToString()));
    }
    std::string final_path = layout_->BlobPath(d.digest);
    if (StoredAndProven(final_path, d.digest, d.size)) {
      Abort();
      return d;
    }
    if (Status dirs = fsutil::MakeDirs(layout_->path() + "/blobs/" + d.digest.algorithm()); !dirs) {
      Abort();
      return std::move(dirs).error();
    }
    if (::fsync(fd_) != 0) {
      int err = errno;
      Abort();
      return IoError(fmt::format("fsync {}: {}", tmp_, ErrnoText(err)));
    }
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_.c_str(), final_path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp_.c_str());
      return IoError(fmt::format("rename {} to {}: {}", tmp_, final_path, ErrnoText(err)));
    }
    // The blobs directory is fsynced before index.json names the blob
    // (OciLayout::SyncBlobs), once for all the blobs of a build.
    return d;
  }

  void Abort() override {
    if (fd_ >= 0) {
      ::close(fd_);
      fd_ = -1;
      ::unlink(tmp_.c_str());
    }
  }

 private:
  OciLayout* layout_;
  int fd_;
  std::string tmp_;
  Sha256Hasher hasher_;
  int64_t size_ = 0;
};

// flock on the layout directory for the lifetime of the object.
class DirLock {
 public:
  static Result<DirLock> Acquire(const std::string& dir) {
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return IoError(fmt::format("open {}: {}", dir, ErrnoText(errno)));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError(fmt::format("lock {}: {}", dir, ErrnoText(err)));
    }
    return DirLock(fd);
  }
  DirLock(DirLock&& o) noexcept : fd_(o.fd_) { o.fd_ = -1; }
  DirLock& operator=(DirLock&&) = delete;
  DirLock(const DirLock&) = delete;
  DirLock& operator=(const DirLock&) = delete;
  ~DirLock() {
    if (fd_ >= 0) {
      ::flock(fd_, LOCK_UN);
      ::close(fd_);
    }
  }

 private:
  explicit DirLock(int fd) : fd_(fd) {}
  int fd_;
};

// The imageLayoutVersion that `dir`/oci-layout states.
Result<std::string> ReadLayoutVersion(const std::string& dir) {
  const std::string path = dir + "/oci-layout";
  OCIB_ASSIGN_OR_RETURN(std::string bytes, io::ReadRegularFile(path, 1 << 16));
  auto j = nlohmann::json::parse(bytes, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded() || !j.is_object()) {
    return InvalidArgument(fmt::format("{} is not a JSON object", path));
  }
  auto it = j.find("imageLayoutVersion");
  if (it == j.end() || !it->is_string()) {
    return InvalidArgument(fmt::format("{} has no imageLayoutVersion string", path));
  }
  return it->get<std::string>();
}

// Refuses a layout whose `blobs` or `blobs/<algorithm>` directory is a
// symbolic link (reading through it would leave the layout).
Status CheckBlobDirs(const std::string& dir) {
  for (std::string sub : {"/blobs", "/blobs/sha256", "/blobs/sha512"}) {
    struct stat st {};
    if (::lstat((dir + sub).c_str(), &st) != 0) continue;
    if (!S_ISDIR(st.st_mode)) {
      return InvalidArgument(fmt::format(
          "{}{} is not a directory (a symbolic link or a file); refusing the layout", dir, sub));
    }
  }
  return {};
}

}  // namespace

bool IsValidRefName(const std::string& tag) {
  static const std::regex kRef(
      "^[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*(/[A-Za-z0-9]+(([-._:@+]|--)[A-Za-z0-9]+)*)*$");
  return !tag.empty() && std::regex_match(tag, kRef);
}

OciLayout::~OciLayout() = default;

Result<std::unique_ptr<OciLayout>> OciLayout::Open(const std::string& dir) {
  struct stat st {};
  if (::stat((dir + "/oci-layout").c_str(), &st) != 0) {
    return NotFound(fmt::format("{} is not an OCI layout (no oci-layout file)", dir));
  }
  auto layout = std::unique_ptr<OciLayout>(new OciLayout(dir));
  OCIB_ASSIGN_OR_RETURN(layout->version_, ReadLayoutVersion(dir));
  OCIB_RETURN_IF_ERROR(CheckBlobDirs(dir));
  auto index = layout->ReadIndex();
  if (!index) return std::move(index).error();
  return layout;
}

Status OciLayout::CheckWritable() const {
  if (version_ == kKnownLayoutVersion) return {};
  return InvalidArgument(fmt::format(
      "{}/oci-layout says imageLayoutVersion \"{}\"; ocib writes only into layouts of version "
      "{} and leaves this one unchanged",
      dir_, version_, kKnownLayoutVersion));
}

Result<std::unique_ptr<OciLayout>> OciLayout::OpenOrCreate(const std::string& dir) {
  struct stat st {};
  if (::lstat((dir + "/oci-layout").c_str(), &st) == 0) {
    OCIB_ASSIGN_OR_RETURN(auto layout, Open(dir));
    OCIB_RETURN_IF_ERROR(layout->CheckWritable());
    return layout;
  }
  OCIB_RETURN_IF_ERROR(fsutil::MakeDirs(dir));
  {
    // Under the layout lock, so that processes creating the same layout at
    // once never see each other's half-made one.
    OCIB_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
    if (::lstat((dir + "/oci-layout").c_str(), &st) != 0) {
      if (::lstat((dir + "/index.json").c_str(), &st) == 0) {
        return InvalidArgument(
            fmt::format("{} has an index.json but no oci-layout file; not overwriting it", dir));
      }
      OCIB_RETURN_IF_ERROR(fsutil::MakeDirs(dir + "/blobs/sha256"));
      // Both files are written and fsynced side by side (the fsyncs
      // overlap), then renamed in order: index.json before oci-layout, so
      // a layout marked as one always has its index.
      Result<std::string> index_tmp = std::string();
      std::thread index_writer(
          [&] { index_tmp = fsutil::WriteTempFileFor(dir + "/index.json", Index().Serialize()); });
      Result<std::string> layout_tmp =
          fsutil::WriteTempFileFor(dir + "/oci-layout", kOciLayoutBytes);
      index_writer.join();
      Status made;
      if (!index_tmp) made = index_tmp.error();
      if (made && !layout_tmp) made = layout_tmp.error();
      if (made && ::rename(index_tmp->c_str(), (dir + "/index.json").c_str()) != 0) {
        made = IoError(fmt::format("rename {}: {}", *index_tmp, ErrnoText(errno)));
      }
      if (made && ::rename(layout_tmp->c_str(), (dir + "/oci-layout").c_str()) != 0) {
        made = IoError(fmt::format("rename {}: {}", *layout_tmp, ErrnoText(errno)));
      }
      if (!made) {
        if (index_tmp) ::unlink(index_tmp->c_str());
        if (layout_tmp) ::unlink(layout_tmp->c_str());
        return std::move(made).error().With(fmt::format("creating the layout {}", dir));
      }
      OCIB_RETURN_IF_ERROR(fsutil::FsyncDir(dir));
    }
  }
  OCIB_ASSIGN_OR_RETURN(auto layout, Open(dir));
  OCIB_RETURN_IF_ERROR(layout->CheckWritable());
  return layout;
}

std::string OciLayout::BlobPath(const Digest& digest) const {
  return dir_ + "/blobs/" + digest.algorithm() + "/" + digest.encoded();
}

Result<bool> OciLayout::Has(const Digest& digest) {
  struct stat st {};
  if (::lstat(BlobPath(digest).c_str(), &st) == 0) return S_ISREG(st.st_mode);
  if (errno == ENOENT) return false;
  return IoError(fmt::format("stat {}: {}", BlobPath(digest), ErrnoText(errno)));
}

Result<std::pair<int, std::string>> OciLayout::NewTempFile() {
  OCIB_RETURN_IF_ERROR(CheckWritable());
  OCIB_RETURN_IF_ERROR(fsutil::MakeDirs(dir_ + "/blobs/sha256"));
  std::string tmp = dir_ + "/blobs/.tmp-" + fsutil::TempSuffix();
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(fmt::format("create {}: {}", tmp, ErrnoText(errno)));
  ::fchmod(fd, 0644);
  blobs_dir_dirty_.store(true);
  return std::make_pair(fd, std::move(tmp));
}

Result<std::unique_ptr<BlobWriter>> OciLayout::NewWriter() {
  OCIB_ASSIGN_OR_RETURN(auto file, NewTempFile());
  return std::unique_ptr<BlobWriter>(new LayoutBlobWriter(this, file.first, file.second));
}

Status OciLayout::PutAll(const std::vector<BlobBytes>& blobs) {
  struct File {
    int fd = -1;
    std::string tmp;
    std::string path;
  };
  std::vector<File> files;
  auto discard_from = [&files](size_t first) {
    for (size_t i = first; i < files.size(); ++i) {
      if (files[i].fd >= 0) ::close(files[i].fd);
      ::unlink(files[i].tmp.c_str());
    }
  };
  Status status = CheckWritable();
  if (!status) return status;
  // 1. Check and write every blob.
  for (const BlobBytes& b : blobs) {
    Digest actual = Digest::Of(b.digest.algorithm(), b.bytes);
    if (actual != b.digest) {
      status = DataLoss(fmt::format("content digest {} does not match expected {}",
                                    actual.ToString(), b.digest.ToString()));
      break;
    }
    std::string path = BlobPath(b.digest);
    if (StoredAndProven(path, b.digest, static_cast<int64_t>(b.bytes.size()))) continue;
    if (b.digest.algorithm() != "sha256") status = fsutil::MakeDirs(dir_ + "/blobs/sha512");
    auto temp = status ? NewTempFile() : Result<std::pair<int, std::string>>(status.error());
    if (temp) {
      files.push_back({temp->first, std::move(temp->second), std::move(path)});
      status = fsutil::WriteAll(files.back().fd, b.bytes.data(), b.bytes.size(), files.back().tmp);
    } else {
      status = std::move(temp).error();
    }
    if (!status) {
      status = std::move(status).error().With(fmt::format("storing {}", b.digest.ToString()));
      break;
    }
  }
  if (!status) {
    discard_from(0);
    return status;
  }
#ifdef __linux__
  // 2. Start the writeback of all of them, so that their blocks are
  //    allocated in one journal transaction that the first fsync commits.
  for (const File& f : files) ::sync_file_range(f.fd, 0, 0, SYNC_FILE_RANGE_WRITE);
#endif
  // 3. The contract of every blob: its content is durable before its name.
  for (File& f : files) {
    if (::fsync(f.fd) != 0) {
      int err = errno;
      discard_from(0);
      return IoError(fmt::format("fsync {}: {}", f.tmp, ErrnoText(err)));
    }
  }
  for (size_t i = 0; i < files.size(); ++i) {
    File& f = files[i];
    ::close(f.fd);
    f.fd = -1;
    if (::rename(f.tmp.c_str(), f.path.c_str()) != 0) {
      int err = errno;
      discard_from(i);
      return IoError(fmt::format("rename {} to {}: {}", f.tmp, f.path, ErrnoText(err)));
    }
  }
  return {};
}

Result<std::unique_ptr<Reader>> OciLayout::Open(const Digest& digest) {
  auto r = io::FileReader::Open(BlobPath(digest), io::Links::kRefuse);
  if (!r) {
    if (r.error().code() == ErrorCode::kNotFound) {
      return NotFound(fmt::format("blob {} is not in {}", digest.ToString(), dir_));
    }
    return std::move(r).error();
  }
  return std::unique_ptr<Reader>(std::move(*r));
}

Result<Index> OciLayout::ReadIndex() const {
  auto bytes = io::ReadRegularFile(dir_ + "/index.json", size_t{64} << 20);
  if (!bytes) return std::move(bytes).error().With(fmt::format("reading {}/index.json", dir_));
  auto idx = Index::Parse(*bytes);
  if (!idx) return std::move(idx).error().With(fmt::format("reading {}/index.json", dir_));
  return idx;
}

Result<Descriptor> OciLayout::Resolve(const std::string& tag) const {
  OCIB_ASSIGN_OR_RETURN(Index idx, ReadIndex());
  for (const auto& d : idx.manifests) {
    auto it = d.annotations.find(kRefNameAnnotation);
    if (it != d.annotations.end() && it->second == tag) return d;
  }
  return NotFound(fmt::format("tag \"{}\" is not in {}/index.json", tag, dir_));
}

Status OciLayout::Tag(const Descriptor& descriptor, const std::string& tag) {
  if (tag.empty()) return InvalidArgument("invalid tag \"\" for an OCI layout");
  return UpdateIndex({{descriptor, tag}});
}

Status OciLayout::AddUntagged(const Descriptor& descriptor) {
  return UpdateIndex({{descriptor, ""}});
}

Status OciLayout::AddManifest(const Descriptor& root, const std::string& tag,
                              const std::vector<Descriptor>& referrers) {
  std::vector<IndexEntry> entries;
  entries.reserve(referrers.size() + 1);
  for (const Descriptor& r : referrers) entries.push_back({r, ""});
  entries.push_back({root, tag});
  Status st = UpdateIndex(entries);
  if (!st) return std::move(st).error().With(fmt::format("updating {}/index.json", dir_));
  return {};
}

std::optional<std::string> OciLayout::LocalFile(const Digest& digest) const {
  return BlobPath(digest);
}

Result<std::unique_ptr<Reader>> OciLayout::OpenRange(const Digest& digest, int64_t offset,
                                                     int64_t length) {
  return io::FileRangeReader::Open(BlobPath(digest), offset, length);
}

bool OciLayout::LinkFile(const std::string& path, const Digest& digest) {
  if (!CheckWritable()) return false;
  const std::string final_path = BlobPath(digest);
  struct stat src {};
  struct stat dst {};
  if (::lstat(final_path.c_str(), &dst) == 0) {
    // The same file, or one whose content is proven, is kept; any other
    // file there is replaced by the link.
    if (::stat(path.c_str(), &src) == 0 && src.st_dev == dst.st_dev && src.st_ino == dst.st_ino) {
      return true;
    }
    if (StoredAndProven(final_path, digest, dst.st_size)) return true;
  }
  if (!fsutil::MakeDirs(dir_ + "/blobs/" + digest.algorithm())) return false;
  std::string tmp = dir_ + "/blobs/.tmp-link-" + fsutil::TempSuffix();
  if (::link(path.c_str(), tmp.c_str()) != 0) return false;
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  blobs_dir_dirty_.store(true);
  return true;
}

Status OciLayout::SyncBlobs() {
  if (!blobs_dir_dirty_.exchange(false)) return {};
  Status st = fsutil::FsyncDir(dir_ + "/blobs/sha256");
  struct stat s512 {};
  if (st && ::lstat((dir_ + "/blobs/sha512").c_str(), &s512) == 0) {
    st = fsutil::FsyncDir(dir_ + "/blobs/sha512");
  }
  // Still to be synced by the next call.
  if (!st) blobs_dir_dirty_.store(true);
  return st;
}

void OciLayout::SweepStaleTemps() const {
  auto sweep = [](const std::string& dir, std::initializer_list<std::string_view> prefixes) {
    std::error_code ec;
    for (const auto& entry : std::filesystem::directory_iterator(dir, ec)) {
      const std::string name = entry.path().filename().string();
      const std::string_view view = name;
      for (std::string_view prefix : prefixes) {
        if (view.starts_with(prefix) && fsutil::IsStaleTempSuffix(view.substr(prefix.size()))) {
          ::unlink(entry.path().c_str());
          break;
        }
      }
    }
  };
  sweep(dir_ + "/blobs", {".tmp-link-", ".tmp-"});
  sweep(dir_, {"index.json.tmp-", "oci-layout.tmp-"});
}

Status OciLayout::UpdateIndex(const std::vector<IndexEntry>& entries) {
  for (const IndexEntry& e : entries) {
    if (!e.tag.empty() && !IsValidRefName(e.tag)) {
      return InvalidArgument(fmt::format("invalid tag \"{}\" for an OCI layout", e.tag));
    }
  }
  if (entries.empty()) return {};
  OCIB_RETURN_IF_ERROR(CheckWritable());
  // Every blob committed so far is durable before index.json can name it:
  // the blobs directory is fsynced while the new index.json is written to
  // its temporary file (which names nothing until the rename), so that the
  // filesystem can commit both at once.
  Status synced;
  std::jthread sync_blobs;
  if (blobs_dir_dirty_.load()) sync_blobs = std::jthread([this, &synced] { synced = SyncBlobs(); });
  OCIB_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir_));
  SweepStaleTemps();
  OCIB_ASSIGN_OR_RETURN(Index idx, ReadIndex());
  bool changed = false;
  for (const IndexEntry& e : entries) {
    Descriptor entry = e.descriptor;
    if (e.tag.empty()) {
      if (std::find(idx.manifests.begin(), idx.manifests.end(), entry) != idx.manifests.end()) {
        continue;
      }
    } else {
      entry.annotations[kRefNameAnnotation] = e.tag;
      auto tagged = [&](const Descriptor& d) {
        auto it = d.annotations.find(kRefNameAnnotation);
        return it != d.annotations.end() && it->second == e.tag;
      };
      // Already tagged so (an unchanged rebuild): no write.
      if (std::count_if(idx.manifests.begin(), idx.manifests.end(), tagged) == 1 &&
          std::find(idx.manifests.begin(), idx.manifests.end(), entry) != idx.manifests.end()) {
        continue;
      }
      idx.manifests.erase(std::remove_if(idx.manifests.begin(), idx.manifests.end(), tagged),
                          idx.manifests.end());
    }
    idx.manifests.push_back(std::move(entry));
    changed = true;
  }
  if (!changed) return {};
  idx.media_type = std::string(media_type::kImageIndex);
  const std::string path = dir_ + "/index.json";
  OCIB_ASSIGN_OR_RETURN(std::string tmp, fsutil::WriteTempFileFor(path, idx.Serialize()));
  if (sync_blobs.joinable()) sync_blobs.join();
  if (!synced) {
    ::unlink(tmp.c_str());
    return std::move(synced).error().With(fmt::format("before naming the blobs in {}", path));
  }
  OCIB_RETURN_IF_ERROR(fsutil::RenameOver(tmp, path));
  return fsutil::FsyncDir(dir_);
}

Result<std::vector<Descriptor>> OciLayout::RemoveEntries(
    const std::function<bool(const Descriptor&)>& match) {
  OCIB_RETURN_IF_ERROR(CheckWritable());
  OCIB_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir_));
  OCIB_ASSIGN_OR_RETURN(Index idx, ReadIndex());
  std::vector<Descriptor> removed;
  std::vector<Descriptor> kept;
  for (Descriptor& d : idx.manifests) (match(d) ? removed : kept).push_back(std::move(d));
  if (removed.empty()) return removed;
  idx.manifests = std::move(kept);
  idx.media_type = std::string(media_type::kImageIndex);
  const std::string path = dir_ + "/index.json";
  OCIB_ASSIGN_OR_RETURN(std::string tmp, fsutil::WriteTempFileFor(path, idx.Serialize()));
  OCIB_RETURN_IF_ERROR(fsutil::RenameOver(tmp, path));
  OCIB_RETURN_IF_ERROR(fsutil::FsyncDir(dir_));
  return removed;
}

// ---------------------------------------------------------------- BlobStore

Result<std::string> BlobStore::ReadAll(const Digest& digest, size_t max_size) {
  if (!Digest::IsSupportedAlgorithm(digest.algorithm())) {
    return InvalidArgument(fmt::format("cannot verify blob \"{}\"", digest.ToString()));
  }
  OCIB_ASSIGN_OR_RETURN(auto reader, Open(digest));
  OCIB_ASSIGN_OR_RETURN(std::string out, io::ReadAtMost(*reader, max_size));
  if (out.size() > max_size) {
    return InvalidArgument(
        fmt::format("blob {} is larger than {} bytes", digest.ToString(), max_size));
  }
  if (Digest::Of(digest.algorithm(), out) != digest) {
    return DataLoss(fmt::format("blob {} does not match its digest", digest.ToString()));
  }
  return out;
}

Result<Descriptor> BlobStore::Put(std::string_view media_type, std::string_view bytes,
                                  std::optional<Digest> expected) {
  OCIB_ASSIGN_OR_RETURN(auto w, NewWriter());
  OCIB_RETURN_IF_ERROR(w->Write(bytes.data(), bytes.size()));
  return w->Commit(media_type, std::move(expected));
}

Status BlobStore::CopyFrom(BlobStore& source, const Descriptor& descriptor) {
  OCIB_ASSIGN_OR_RETURN(bool has, Has(descriptor.digest));
  if (has) return {};
  OCIB_ASSIGN_OR_RETURN(auto reader, source.Open(descriptor.digest));
  OCIB_ASSIGN_OR_RETURN(auto writer, NewWriter());
  std::vector<char> buf(size_t{1} << 20);
  int64_t total = 0;
  while (true) {
    auto n = reader->Read(buf.data(), buf.size());
    if (!n) {
      writer->Abort();
      return std::move(n).error();
    }
    if (*n == 0) break;
    total += static_cast<int64_t>(*n);
    if (total > descriptor.size) break;  // never read far past the size
    if (Status st = writer->Write(buf.data(), *n); !st) {
      writer->Abort();
      return st;
    }
  }
  if (total != descriptor.size) {
    writer->Abort();
    return DataLoss(
        fmt::format("blob {} has {} bytes, its descriptor says {}", descriptor.digest.ToString(),
                    total > descriptor.size ? "more" : std::to_string(total), descriptor.size));
  }
  auto committed = writer->Commit(descriptor.media_type, descriptor.digest);
  if (!committed) return std::move(committed).error();
  return {};
}

}  // namespace ocib
