// DeferredBlobStore: small documents kept in memory until Flush, then
// written to the real store together.
//
// A build writes a dozen small documents (configs, manifests, SBOMs and
// their artifact manifests, the index). Each OciLayout commit is a write,
// an fsync and a rename; one after another that is a dozen journal commits,
// most of the time of a rebuild whose layers all come from the cache.
// Flush hands them to the target all at once (BlobStore::PutAll; an
// OciLayout writes every file and starts its writeback before the first
// fsync, so the filesystem commits them together). Every blob is still fsynced before it is renamed
// to its digest (the layout's contract is unchanged); only the order of independent writes changes.
//
// Blobs committed here are readable through this store at once (Has, Open)
// and reach the target only on Flush: a build that fails before Flush
// leaves none of its documents behind. Meant for documents: everything is
// held in memory.
//
// Thread safety: like every BlobStore; Flush must not race with commits.
#ifndef OCIB_LIB_LAYOUT_DEFERRED_STORE_H_
#define OCIB_LIB_LAYOUT_DEFERRED_STORE_H_

#include <map>
#include <memory>
#include <mutex>
#include <string>

#include "ocib/blob_store.h"

namespace ocib {

class DeferredBlobStore : public BlobStore {
 public:
  // `target` must outlive this store.
  explicit DeferredBlobStore(BlobStore& target) : target_(target) {}

  Result<bool> Has(const Digest& digest) override;
  Result<std::unique_ptr<BlobWriter>> NewWriter() override;
  Result<std::unique_ptr<Reader>> Open(const Digest& digest) override;

  // Writes every pending blob to the target and forgets it; returns the
  // first error (the blobs written before it stay, as after any failed
  // build). Each blob is checked against its digest on the way.
  Status Flush();
  // Number of blobs waiting for Flush.
  size_t pending() const;

 private:
  friend class DeferredBlobWriter;
  struct Pending {
    std::string media_type;
    std::string bytes;
  };
  void Add(const Digest& digest, std::string media_type, std::string bytes);

  BlobStore& target_;
  mutable std::mutex mu_;
  std::map<Digest, Pending> pending_;
};

}  // namespace ocib

#endif  // OCIB_LIB_LAYOUT_DEFERRED_STORE_H_
