#include "ocib/oci_layout.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <random>
#include <regex>
#include <thread>
#include <vector>

#include "ocib/media_type.h"

#include "lib/io/file_range_reader.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include <sys/file.h>
#include <sys/stat.h>

namespace ocib {

using io::ErrnoText;

namespace {

constexpr std::string_view kOciLayoutBytes = R"({"imageLayoutVersion":"1.0.0"})";

// Whether the blob file `path` exists with `size` bytes: stored already, so
// a commit leaves it untouched.
bool StoredWithSize(const std::string& path, int64_t size) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && st.st_size == size;
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
    if (expected && *expected != d.digest) {
      Abort();
      return DataLoss("content digest " + d.digest.ToString() + " does not match expected " +
                      expected->ToString());
    }
    std::string final_path = layout_->BlobPath(d.digest);
    if (StoredWithSize(final_path, d.size)) {
      Abort();
      return d;
    }
    if (::fsync(fd_) != 0) {
      int err = errno;
      Abort();
      return IoError("fsync " + tmp_ + ": " + ErrnoText(err));
    }
    ::close(fd_);
    fd_ = -1;
    if (::rename(tmp_.c_str(), final_path.c_str()) != 0) {
      int err = errno;
      ::unlink(tmp_.c_str());
      return IoError("rename " + tmp_ + " to " + final_path + ": " + ErrnoText(err));
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
    if (fd < 0) return IoError("open " + dir + ": " + ErrnoText(errno));
    while (::flock(fd, LOCK_EX) != 0) {
      if (errno == EINTR) continue;
      int err = errno;
      ::close(fd);
      return IoError("lock " + dir + ": " + ErrnoText(err));
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

Status CheckOciLayoutFile(const std::string& dir) {
  OCIB_ASSIGN_OR_RETURN(std::string bytes, fsutil::ReadFile(dir + "/oci-layout", 1 << 16));
  if (bytes.find("imageLayoutVersion") == std::string::npos) {
    return InvalidArgument(dir + "/oci-layout has no imageLayoutVersion");
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
    return NotFound(dir + " is not an OCI layout (no oci-layout file)");
  }
  auto layout = std::unique_ptr<OciLayout>(new OciLayout(dir));
  OCIB_RETURN_IF_ERROR(CheckOciLayoutFile(dir));
  auto index = layout->ReadIndex();
  if (!index) return std::move(index).error();
  return layout;
}

Result<std::unique_ptr<OciLayout>> OciLayout::OpenOrCreate(const std::string& dir) {
  struct stat st {};
  if (::stat((dir + "/oci-layout").c_str(), &st) == 0) return Open(dir);
  OCIB_RETURN_IF_ERROR(fsutil::MakeDirs(dir));
  {
    // Under the layout lock, so that processes creating the same layout at
    // once never see each other's half-made one.
    OCIB_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir));
    if (::stat((dir + "/oci-layout").c_str(), &st) != 0) {
      if (::stat((dir + "/index.json").c_str(), &st) == 0) {
        return InvalidArgument(dir +
                               " has an index.json but no oci-layout file; not overwriting it");
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
        made = IoError("rename " + *index_tmp + ": " + ErrnoText(errno));
      }
      if (made && ::rename(layout_tmp->c_str(), (dir + "/oci-layout").c_str()) != 0) {
        made = IoError("rename " + *layout_tmp + ": " + ErrnoText(errno));
      }
      if (!made) {
        if (index_tmp) ::unlink(index_tmp->c_str());
        if (layout_tmp) ::unlink(layout_tmp->c_str());
        return std::move(made).error().With("creating the layout " + dir);
      }
      fsutil::FsyncDir(dir);
    }
  }
  return Open(dir);
}

std::string OciLayout::BlobPath(const Digest& digest) const {
  return dir_ + "/blobs/" + digest.algorithm() + "/" + digest.encoded();
}

Result<bool> OciLayout::Has(const Digest& digest) {
  struct stat st {};
  if (::stat(BlobPath(digest).c_str(), &st) == 0) return S_ISREG(st.st_mode);
  if (errno == ENOENT) return false;
  return IoError("stat " + BlobPath(digest) + ": " + ErrnoText(errno));
}

Result<std::pair<int, std::string>> OciLayout::NewTempFile() {
  OCIB_RETURN_IF_ERROR(fsutil::MakeDirs(dir_ + "/blobs/sha256"));
  static std::atomic<uint64_t> counter{0};
  // pid and counter make a name unique on this host; the random part, drawn
  // once per process, across hosts sharing the directory.
  static const uint32_t kSalt = std::random_device{}();
  std::string tmp = dir_ + "/blobs/.tmp-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter.fetch_add(1)) + "-" + std::to_string(kSalt);
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) return IoError("create " + tmp + ": " + ErrnoText(errno));
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
  Status status;
  // 1. Check and write every blob.
  for (const BlobBytes& b : blobs) {
    Digest actual = Digest::Sha256Of(b.bytes);
    if (actual != b.digest) {
      status = DataLoss("content digest " + actual.ToString() + " does not match expected " +
                        b.digest.ToString());
      break;
    }
    std::string path = BlobPath(b.digest);
    if (StoredWithSize(path, static_cast<int64_t>(b.bytes.size()))) continue;
    auto temp = NewTempFile();
    if (temp) {
      files.push_back({temp->first, std::move(temp->second), std::move(path)});
      status = fsutil::WriteAll(files.back().fd, b.bytes.data(), b.bytes.size(), files.back().tmp);
    } else {
      status = std::move(temp).error();
    }
    if (!status) {
      status = std::move(status).error().With("storing " + b.digest.ToString());
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
      return IoError("fsync " + f.tmp + ": " + ErrnoText(err));
    }
  }
  for (size_t i = 0; i < files.size(); ++i) {
    File& f = files[i];
    ::close(f.fd);
    f.fd = -1;
    if (::rename(f.tmp.c_str(), f.path.c_str()) != 0) {
      int err = errno;
      discard_from(i);
      return IoError("rename " + f.tmp + " to " + f.path + ": " + ErrnoText(err));
    }
  }
  return {};
}

Result<std::unique_ptr<Reader>> OciLayout::Open(const Digest& digest) {
  auto r = io::FileReader::Open(BlobPath(digest));
  if (!r) {
    if (r.error().code() == ErrorCode::kNotFound) {
      return NotFound("blob " + digest.ToString() + " is not in " + dir_);
    }
    return std::move(r).error();
  }
  return std::unique_ptr<Reader>(std::move(*r));
}

Result<Index> OciLayout::ReadIndex() const {
  auto bytes = fsutil::ReadFile(dir_ + "/index.json", size_t{64} << 20);
  if (!bytes) return std::move(bytes).error().With("reading " + dir_ + "/index.json");
  auto idx = Index::Parse(*bytes);
  if (!idx) return std::move(idx).error().With("reading " + dir_ + "/index.json");
  return idx;
}

Result<Descriptor> OciLayout::Resolve(const std::string& tag) const {
  OCIB_ASSIGN_OR_RETURN(Index idx, ReadIndex());
  for (const auto& d : idx.manifests) {
    auto it = d.annotations.find(kRefNameAnnotation);
    if (it != d.annotations.end() && it->second == tag) return d;
  }
  return NotFound("tag \"" + tag + "\" is not in " + dir_ + "/index.json");
}

Status OciLayout::Tag(const Descriptor& descriptor, const std::string& tag) {
  if (tag.empty()) return InvalidArgument("invalid tag \"\" for an OCI layout");
  return UpdateIndex({{descriptor, tag}});
}

Status OciLayout::AddUntagged(const Descriptor& descriptor) {
  return UpdateIndex({{descriptor, ""}});
}

std::optional<std::string> OciLayout::LocalFile(const Digest& digest) const {
  return BlobPath(digest);
}

Result<std::unique_ptr<Reader>> OciLayout::OpenRange(const Digest& digest, int64_t offset,
                                                     int64_t length) {
  return io::FileRangeReader::Open(BlobPath(digest), offset, length);
}

bool OciLayout::LinkFile(const std::string& path, const Digest& digest) {
  static std::atomic<uint64_t> counter{0};
  const std::string final_path = BlobPath(digest);
  struct stat st {};
  if (::stat(final_path.c_str(), &st) == 0) return true;
  if (!fsutil::MakeDirs(dir_ + "/blobs/" + digest.algorithm())) return false;
  std::string tmp = dir_ + "/blobs/.tmp-link-" + std::to_string(::getpid()) + "-" +
                    std::to_string(counter.fetch_add(1));
  if (::link(path.c_str(), tmp.c_str()) != 0) return false;
  if (::rename(tmp.c_str(), final_path.c_str()) != 0) {
    ::unlink(tmp.c_str());
    return false;
  }
  blobs_dir_dirty_.store(true);
  return true;
}

void OciLayout::SyncBlobs() {
  if (blobs_dir_dirty_.exchange(false)) fsutil::FsyncDir(dir_ + "/blobs/sha256");
}

Status OciLayout::UpdateIndex(const std::vector<IndexEntry>& entries) {
  for (const IndexEntry& e : entries) {
    if (!e.tag.empty() && !IsValidRefName(e.tag)) {
      return InvalidArgument("invalid tag \"" + e.tag + "\" for an OCI layout");
    }
  }
  if (entries.empty()) return {};
  // Every blob committed so far is durable before index.json can name it:
  // the blobs directory is fsynced while the new index.json is written to
  // its temporary file (which names nothing until the rename), so that the
  // filesystem can commit both at once.
  std::jthread sync_blobs;
  if (blobs_dir_dirty_.load()) sync_blobs = std::jthread([this] { SyncBlobs(); });
  OCIB_ASSIGN_OR_RETURN(DirLock lock, DirLock::Acquire(dir_));
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
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = IoError("rename " + tmp + " to " + path + ": " + ErrnoText(errno));
    ::unlink(tmp.c_str());
    return st;
  }
  fsutil::FsyncDir(dir_);
  return {};
}

Result<std::vector<Descriptor>> OciLayout::RemoveEntries(
    const std::function<bool(const Descriptor&)>& match) {
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
  if (::rename(tmp.c_str(), path.c_str()) != 0) {
    Status st = IoError("rename " + tmp + " to " + path + ": " + ErrnoText(errno));
    ::unlink(tmp.c_str());
    return std::move(st).error();
  }
  fsutil::FsyncDir(dir_);
  return removed;
}

// ---------------------------------------------------------------- BlobStore

Result<std::string> BlobStore::ReadAll(const Digest& digest, size_t max_size) {
  OCIB_ASSIGN_OR_RETURN(auto reader, Open(digest));
  std::string out;
  char buf[65536];
  Sha256Hasher h;
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf, sizeof(buf)));
    if (n == 0) break;
    out.append(buf, n);
    if (out.size() > max_size) {
      return InvalidArgument("blob " + digest.ToString() + " is larger than " +
                             std::to_string(max_size) + " bytes");
    }
  }
  if (digest.algorithm() == "sha256" && Digest::Sha256Of(out) != digest) {
    return DataLoss("blob " + digest.ToString() + " does not match its digest");
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
    if (Status st = writer->Write(buf.data(), *n); !st) {
      writer->Abort();
      return st;
    }
  }
  if (total != descriptor.size) {
    writer->Abort();
    return DataLoss("blob " + descriptor.digest.ToString() + " has " + std::to_string(total) +
                    " bytes, its descriptor says " + std::to_string(descriptor.size));
  }
  auto committed = writer->Commit(descriptor.media_type, descriptor.digest);
  if (!committed) return std::move(committed).error();
  return {};
}

}  // namespace ocib
