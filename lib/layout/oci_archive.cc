#include "lib/layout/oci_archive.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <filesystem>

#include <fmt/format.h>

#include "ocib/layer.h"

#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include <sys/stat.h>

namespace ocib {

namespace {

// Writes to a file descriptor.
class FdWriter : public BlobWriter {
 public:
  FdWriter(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Status Write(const void* data, size_t size) override {
    return fsutil::WriteAll(fd_, data, size, path_);
  }
  Result<Descriptor> Commit(std::string_view, std::optional<Digest>) override {
    return Descriptor{};
  }
  void Abort() override {}

 private:
  int fd_;
  std::string path_;
};

// A BlobStore whose only writer writes into one file.
class FileSinkStore : public BlobStore {
 public:
  FileSinkStore(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
  Result<bool> Has(const Digest&) override { return false; }
  Result<std::unique_ptr<BlobWriter>> NewWriter() override {
    return std::unique_ptr<BlobWriter>(new FdWriter(fd_, path_));
  }
  Result<std::unique_ptr<Reader>> Open(const Digest& d) override {
    return NotFound("blob " + d.ToString());
  }

 private:
  int fd_;
  std::string path_;
};

}  // namespace

Status WriteOciArchive(const std::string& layout_dir, const std::string& file, int64_t mtime) {
  FileTree tree;
  namespace fs = std::filesystem;
  std::error_code ec;
  for (const char* name : {"oci-layout", "index.json"}) {
    OCIB_RETURN_IF_ERROR(tree.AddHostFile(layout_dir + "/" + name, name, 0644));
  }
  OCIB_RETURN_IF_ERROR(tree.AddDirectory("blobs", 0755));
  for (const auto& alg : fs::directory_iterator(layout_dir + "/blobs", ec)) {
    if (!alg.is_directory()) continue;
    std::string a = alg.path().filename().string();
    OCIB_RETURN_IF_ERROR(tree.AddDirectory("blobs/" + a, 0755));
    for (const auto& blob : fs::directory_iterator(alg.path(), ec)) {
      if (!blob.is_regular_file()) continue;
      std::string b = blob.path().filename().string();
      OCIB_RETURN_IF_ERROR(tree.AddHostFile(blob.path().string(), "blobs/" + a + "/" + b, 0644));
    }
  }
  if (ec) return IoError(fmt::format("listing {}/blobs: {}", layout_dir, ec.message()));
  std::string tmp = file + ".tmp-" + std::to_string(::getpid());
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return IoError(fmt::format("create {}: {}", tmp, io::ErrnoText(errno)));
  FileSinkStore store(fd, tmp);
  LayerOptions opts;
  opts.compression = Compression::kNone;
  opts.mtime = mtime;
  auto layer = BuildLayer(tree, store, opts);
  Status st;
  if (!layer) st = std::move(layer).error();
  if (st && ::fsync(fd) != 0) st = IoError(fmt::format("fsync {}: {}", tmp, io::ErrnoText(errno)));
  ::close(fd);
  if (st && ::rename(tmp.c_str(), file.c_str()) != 0) {
    st = IoError(fmt::format("rename {} to {}: {}", tmp, file, io::ErrnoText(errno)));
  }
  if (!st) ::unlink(tmp.c_str());
  return st;
}

}  // namespace ocib
