// File: ocib/blob_store.h
//
// Content-addressed blob storage. Implemented by OciLayout (and by the
// registry client and in-memory stores in tests).
//
// Contract (after umoci's CAS): putting a blob is idempotent; success means
// "the content is stored at DIGEST", not "stored by this call". Nothing is
// readable under a digest before its writer commits, and a writer that is
// destroyed or fails without committing leaves nothing behind.
//
// Thread safety: a BlobStore is safe for concurrent use; each BlobWriter is
// used by one thread at a time.
#ifndef OCIB_INCLUDE_OCIB_BLOB_STORE_H_
#define OCIB_INCLUDE_OCIB_BLOB_STORE_H_

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib {

class OCIB_EXPORT BlobWriter : public Writer {
 public:
  // Writer::Close is not used for blobs: call Commit or Abort.
  Status Close() override { return {}; }

  // Finishes the blob and makes it readable under its digest. If `expected`
  // is set and differs from the computed digest, returns kDataLoss and
  // stores nothing. Content already in the store is not an error.
  // The default argument is public API (`Commit(media_type)`). Overrides
  // declare none, so no call can see a different default.
  virtual Result<Descriptor> Commit(  // NOLINT(google-default-arguments)
      std::string_view media_type, std::optional<Digest> expected = std::nullopt) = 0;
  // Discards what was written. Safe to call more than once.
  virtual void Abort() = 0;
};

class OCIB_EXPORT BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Whether a blob is present. kIo only for an unexpected failure.
  virtual Result<bool> Has(const Digest& digest) = 0;
  // A new writer; the digest is known only at Commit.
  virtual Result<std::unique_ptr<BlobWriter>> NewWriter() = 0;
  // Opens a stored blob for reading; kNotFound if absent.
  virtual Result<std::unique_ptr<Reader>> Open(const Digest& digest) = 0;

  // Opens `length` bytes of a stored blob from byte `offset` (chunked and
  // resumed uploads send ranges). kNotFound if absent; the reader fails with
  // kDataLoss if the blob ends before the range does. The default opens the
  // blob and skips `offset` bytes; stores with random access override it.
  virtual Result<std::unique_ptr<Reader>> OpenRange(const Digest& digest, int64_t offset,
                                                    int64_t length);

  // A blob held in memory, for PutAll.
  struct BlobBytes {
    std::string_view bytes;
    Digest digest;
  };
  // Stores several blobs as Put would, each checked against its digest
  // (kDataLoss, and that blob not stored, when it differs). The default puts
  // them one after another; an OCI layout writes them all with one round of
  // flushes. On an error, blobs stored before it stay.
  virtual Status PutAll(const std::vector<BlobBytes>& blobs);

  // Stores whose blobs are files on the local filesystem can share them by
  // hard link instead of copying (the layer cache and the layouts it
  // builds into). LocalFile: the path of the file that holds the blob
  // `digest` in this store, or nullopt when this store keeps no such file
  // (the default).
  [[nodiscard]] virtual std::optional<std::string> LocalFile(const Digest& digest) const;
  // LinksFiles: whether LinkFile can store a blob without copying. LinkFile
  // stores the file at `path` as the blob `digest` by hard-linking it; the
  // caller vouches that the file's content has that digest. Returns true when
  // the blob is now present (also when it already was), false when it cannot
  // be linked (another filesystem, permissions, a store that keeps no files:
  // the default); the caller then copies it (CopyFrom).
  [[nodiscard]] virtual bool LinksFiles() const { return false; }
  [[nodiscard]] virtual bool LinkFile(const std::string& path, const Digest& digest);

  // Reads a whole blob (for documents); fails with kInvalidArgument above
  // `max_size` bytes and kDataLoss if its content does not match `digest`.
  Result<std::string> ReadAll(const Digest& digest, size_t max_size = size_t{16} << 20);
  // Stores `bytes` and returns its descriptor; with `expected`, as
  // BlobWriter::Commit: kDataLoss and nothing stored when it differs.
  Result<Descriptor> Put(std::string_view media_type, std::string_view bytes,
                         std::optional<Digest> expected = std::nullopt);
  // Copies the blob `descriptor` names from `source` unless this store holds
  // it already. Its digest is checked (as Commit with `expected`) and its
  // size: kDataLoss and nothing stored when either differs; the source's
  // and this store's errors otherwise.
  Status CopyFrom(BlobStore& source, const Descriptor& descriptor);
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_BLOB_STORE_H_
