// File: ocib/oci_layout.h
//
// An OCI image layout on disk: `oci-layout`, `index.json`,
// `blobs/<alg>/<encoded>`. Tags are `org.opencontainers.image.ref.name`
// annotations on index.json descriptors.
//
// Blobs are written to a temporary file inside the layout, fsynced and
// renamed to their digest, so a partial blob is never visible. index.json is
// replaced atomically (temp + fsync + rename) while an exclusive lock is held
// on the layout directory, merging with what is there: other processes that
// tag the same layout concurrently keep their tags.
//
// Thread safety: an OciLayout may be used from several threads.
#ifndef OCIB_INCLUDE_OCIB_OCI_LAYOUT_H_
#define OCIB_INCLUDE_OCIB_OCI_LAYOUT_H_

#include <atomic>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocib/blob_store.h"
#include "ocib/manifest.h"
#include "ocib/status.h"

namespace ocib {

class OciLayout : public BlobStore {
 public:
  ~OciLayout() override;

  // Opens an existing layout. kNotFound if `dir` has no oci-layout file;
  // kInvalidArgument if oci-layout or index.json is malformed.
  static Result<std::unique_ptr<OciLayout>> Open(const std::string& dir);
  // Opens `dir`, creating an empty layout (and the directory) when it has
  // none. An existing but corrupt layout is an error, never overwritten.
  static Result<std::unique_ptr<OciLayout>> OpenOrCreate(const std::string& dir);

  const std::string& path() const { return dir_; }

  Result<bool> Has(const Digest& digest) override;
  Result<std::unique_ptr<BlobWriter>> NewWriter() override;
  Result<std::unique_ptr<Reader>> Open(const Digest& digest) override;
  // Path of a blob's file (whether or not it exists).
  std::string BlobPath(const Digest& digest) const;

  // Reads and parses index.json.
  Result<Index> ReadIndex() const;
  // The descriptor tagged `tag`; kNotFound if none.
  Result<Descriptor> Resolve(const std::string& tag) const;
  // Adds `descriptor` to index.json tagged `tag`, replacing any earlier entry
  // with that tag and keeping every other entry. Atomic and locked.
  Status Tag(const Descriptor& descriptor, const std::string& tag);
  // Adds `descriptor` without a tag unless an equal entry exists (used for
  // artifacts). Atomic and locked.
  Status AddUntagged(const Descriptor& descriptor);

  // One change to index.json: `descriptor` tagged `tag` (replacing any entry
  // with that tag), or, when `tag` is empty, untagged unless an equal entry
  // exists.
  struct IndexEntry {
    Descriptor descriptor;
    std::string tag;
  };
  // Applies `entries` in order with a single locked, atomic index.json
  // write: a build adds its image and its SBOM referrers at once, and a
  // reader sees all of them or none. Every tag is checked before anything is
  // written (kInvalidArgument).
  Status UpdateIndex(const std::vector<IndexEntry>& entries);
  // Removes every index.json entry for which `match` is true, with one
  // locked, atomic index.json write (none when nothing matches). Blobs are
  // left in place. Returns the entries removed.
  Result<std::vector<Descriptor>> RemoveEntries(
      const std::function<bool(const Descriptor&)>& match);

  // Stores several blobs held in memory, each as Put would (a temporary file,
  // fsynced, renamed to its digest; one that is present already is left
  // alone), with one round of flushes for all of them: every file is
  // written and its writeback started before the first fsync, so the
  // filesystem commits them together. For a build's documents, a dozen
  // small files, that is several times faster than a Put each. kDataLoss if
  // a blob's bytes do not have its digest (nothing is stored then); kIo
  // otherwise. On an error the blobs renamed before it stay.
  Status PutAll(const std::vector<BlobBytes>& blobs) override;

  // Blobs are files: LocalFile is BlobPath, and LinkFile hard-links a file
  // into blobs/ (see BlobStore).
  std::optional<std::string> LocalFile(const Digest& digest) const override;
  bool LinksFiles() const override { return true; }
  bool LinkFile(const std::string& path, const Digest& digest) override;
  // Reads the range with pread, without reading what comes before it.
  Result<std::unique_ptr<Reader>> OpenRange(const Digest& digest, int64_t offset,
                                            int64_t length) override;
  // Makes the names of the blobs committed so far durable (one fsync of the
  // blobs directory; blob contents are fsynced when committed). Tag and
  // AddUntagged call it first, so index.json never names a blob that a
  // crash could lose.
  void SyncBlobs();

 private:
  explicit OciLayout(std::string dir) : dir_(std::move(dir)) {}
  // A new temporary file for a blob: its descriptor and path.
  Result<std::pair<int, std::string>> NewTempFile();
  std::string dir_;
  std::atomic<bool> blobs_dir_dirty_{false};
};

// Whether `tag` is a valid ref.name (image-spec annotations grammar).
bool IsValidRefName(const std::string& tag);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_OCI_LAYOUT_H_
