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

#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "ocib/descriptor.h"
#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib {

class BlobWriter : public Writer {
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

class BlobStore {
 public:
  virtual ~BlobStore() = default;

  // Whether a blob is present. kIo only for an unexpected failure.
  virtual Result<bool> Has(const Digest& digest) = 0;
  // A new writer; the digest is known only at Commit.
  virtual Result<std::unique_ptr<BlobWriter>> NewWriter() = 0;
  // Opens a stored blob for reading; kNotFound if absent.
  virtual Result<std::unique_ptr<Reader>> Open(const Digest& digest) = 0;

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
