// File: ocib/archive_writer.h
//
// An archive being written: an oci-archive or a docker-archive
// (ArchiveLocation, ocib/image_location.h) as a BlobStore. Blobs wait in a
// private OCI layout beside the file (same filesystem: the layer cache
// hard-links into it) until Commit writes the archive in one pass. Nothing
// appears at the archive's path before Commit, an existing file there
// stays as it was until Commit replaces it (a temporary file, fsynced,
// renamed over it), and a writer destroyed without a successful Commit
// removes everything it held.
//
// Thread safety: as every BlobStore; Commit must not race with writes.
#ifndef OCIB_INCLUDE_OCIB_ARCHIVE_WRITER_H_
#define OCIB_INCLUDE_OCIB_ARCHIVE_WRITER_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ocib/blob_store.h"
#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/image_location.h"
#include "ocib/status.h"

namespace ocib {

class OciLayout;

class OCIB_EXPORT ArchiveWriter : public BlobStore {
 public:
  // A writer for `archive`; `mtime` (seconds since the epoch) is the time
  // of an oci-archive's tar entries. kInvalidArgument when the archive's
  // path is a directory; kIo when the directory it is in cannot be written.
  static Result<std::unique_ptr<ArchiveWriter>> Create(const ArchiveLocation& archive,
                                                       int64_t mtime);
  ~ArchiveWriter() override;
  ArchiveWriter(const ArchiveWriter&) = delete;
  ArchiveWriter& operator=(const ArchiveWriter&) = delete;

  const ArchiveLocation& location() const { return archive_; }
  // The tag the image is listed under: an oci-archive's tag ("latest" when
  // none is given); for a docker-archive, "latest" (its repo:tag is
  // written in its manifest.json instead).
  std::string tag() const;

  // BlobStore: the blobs held so far.
  Result<bool> Has(const Digest& digest) override;
  Result<std::unique_ptr<BlobWriter>> NewWriter() override;
  Result<std::unique_ptr<Reader>> Open(const Digest& digest) override;
  Result<std::unique_ptr<Reader>> OpenRange(const Digest& digest, int64_t offset,
                                            int64_t length) override;
  Status PutAll(const std::vector<BlobBytes>& blobs) override;
  std::optional<std::string> LocalFile(const Digest& digest) const override;
  bool LinksFiles() const override { return true; }
  bool LinkFile(const std::string& path, const Digest& digest) override;

  // Writes the archive: `root` (a manifest or an index, stored here with
  // every blob it names) under tag(), listed after `referrers` (untagged;
  // an oci-archive only: a docker-archive holds one platform image and no
  // referrer). The blobs are then removed, whatever the outcome: any use
  // of the writer after Commit is kInvalidArgument. On an error the
  // archive's path is as it was.
  Status Commit(const Descriptor& root, const std::vector<Descriptor>& referrers = {});

 private:
  ArchiveWriter(ArchiveLocation archive, int64_t mtime, std::string dir,
                std::unique_ptr<OciLayout> layout);
  void Discard();

  ArchiveLocation archive_;
  int64_t mtime_ = 0;
  std::string dir_;  // the private layout, beside the archive
  std::unique_ptr<OciLayout> layout_;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_ARCHIVE_WRITER_H_
