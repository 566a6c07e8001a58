// ArchiveWriter (ocib/archive_writer.h): blobs held in a private layout
// beside the archive, packed by Commit.
#include "ocib/archive_writer.h"

#include <utility>

#include <fmt/format.h>

#include "ocib/oci_layout.h"

#include "lib/io/fs_util.h"
#include "lib/layout/docker_archive.h"
#include <sys/stat.h>

namespace ocib {
namespace {

Error Written(const ArchiveLocation& archive) {
  return InvalidArgument(fmt::format("the archive {} was already written", archive.path));
}

}  // namespace

Result<std::unique_ptr<ArchiveWriter>> ArchiveWriter::Create(const ArchiveLocation& archive,
                                                             int64_t mtime) {
  struct stat st {};
  if (::stat(archive.path.c_str(), &st) == 0 && S_ISDIR(st.st_mode)) {
    return InvalidArgument(fmt::format("output archive {} is a directory", archive.path));
  }
  std::string dir = fmt::format("{}.ocib-tmp-{}", archive.path, fsutil::TempSuffix());
  auto layout = OciLayout::OpenOrCreate(dir);
  if (!layout) {
    fsutil::RemoveAll(dir);
    return std::move(layout).error().With(
        fmt::format("making the blob directory of archive {}", archive.path));
  }
  return std::unique_ptr<ArchiveWriter>(
      new ArchiveWriter(archive, mtime, std::move(dir), std::move(*layout)));
}

ArchiveWriter::ArchiveWriter(ArchiveLocation archive, int64_t mtime, std::string dir,
                             std::unique_ptr<OciLayout> layout)
    : archive_(std::move(archive)),
      mtime_(mtime),
      dir_(std::move(dir)),
      layout_(std::move(layout)) {}

ArchiveWriter::~ArchiveWriter() { Discard(); }

void ArchiveWriter::Discard() {
  if (dir_.empty()) return;
  layout_.reset();
  fsutil::RemoveAll(dir_);
  dir_.clear();
}

std::string ArchiveWriter::tag() const {
  if (archive_.kind == ArchiveLocation::Kind::kDocker || archive_.tag.empty()) return "latest";
  return archive_.tag;
}

Result<bool> ArchiveWriter::Has(const Digest& digest) {
  if (!layout_) return Written(archive_);
  return layout_->Has(digest);
}

Result<std::unique_ptr<BlobWriter>> ArchiveWriter::NewWriter() {
  if (!layout_) return Written(archive_);
  return layout_->NewWriter();
}

Result<std::unique_ptr<Reader>> ArchiveWriter::Open(const Digest& digest) {
  if (!layout_) return Written(archive_);
  return layout_->Open(digest);
}

Result<std::unique_ptr<Reader>> ArchiveWriter::OpenRange(const Digest& digest, int64_t offset,
                                                         int64_t length) {
  if (!layout_) return Written(archive_);
  return layout_->OpenRange(digest, offset, length);
}

Status ArchiveWriter::PutAll(const std::vector<BlobBytes>& blobs) {
  if (!layout_) return Written(archive_);
  return layout_->PutAll(blobs);
}

std::optional<std::string> ArchiveWriter::LocalFile(const Digest& digest) const {
  if (!layout_) return std::nullopt;
  return layout_->LocalFile(digest);
}

bool ArchiveWriter::LinkFile(const std::string& path, const Digest& digest) {
  return layout_ && layout_->LinkFile(path, digest);
}

Status ArchiveWriter::Commit(const Descriptor& root, const std::vector<Descriptor>& referrers) {
  if (!layout_) return Written(archive_);
  // A docker-archive has no place for referrers.
  const bool oci = archive_.kind == ArchiveLocation::Kind::kOci;
  Status st = layout_->AddManifest(root, tag(), oci ? referrers : std::vector<Descriptor>{});
  if (st) st = WriteArchiveFromLayout(dir_, tag(), archive_, mtime_);
  Discard();
  if (!st) return std::move(st).error().With(fmt::format("writing {}", archive_.path));
  return {};
}

}  // namespace ocib
