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
// Layouts come from people the user does not control, so reading one never
// follows a symbolic link to a blob, index.json or oci-layout, never reads a
// FIFO or a device, and verifies what it reads (sha256 and sha512). A layout
// whose oci-layout names an imageLayoutVersion other than 1.0.0 can be read
// (validate reports it) but is never written into.
//
// Temporary files are named with the writing process's id and host; those of
// writers that are gone are removed by the next index.json update.
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
#include "ocib/export.h"
#include "ocib/manifest.h"
#include "ocib/status.h"

namespace ocib {

class OCIB_EXPORT OciLayout : public BlobStore {
 public:
  ~OciLayout() override;

  // Opens an existing layout. kNotFound if `dir` has no oci-layout file;
  // kInvalidArgument if oci-layout or index.json is malformed, a symbolic
  // link or not a regular file. An unknown imageLayoutVersion is not an
  // error here (see layout_version); every write refuses it.
  static Result<std::unique_ptr<OciLayout>> Open(const std::string& dir);
  // Opens `dir`, creating an empty layout (and the directory) when it has
  // none. An existing but corrupt layout, or one with an unknown
  // imageLayoutVersion, is an error (kInvalidArgument), never overwritten.
  static Result<std::unique_ptr<OciLayout>> OpenOrCreate(const std::string& dir);

  const std::string& path() const { return dir_; }
  // The imageLayoutVersion its oci-layout file states.
  const std::string& layout_version() const { return version_; }
  // OK when ocib knows the layout's version (1.0.0) and may write into it;
  // kInvalidArgument naming the file and the version otherwise.
  Status CheckWritable() const;

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
  // Lists an image in index.json as every writer of one does: its
  // `referrers` (SBOMs, signatures: manifests whose subject it is) untagged,
  // then `root` (a manifest or an index) tagged `tag`, or untagged when
  // `tag` is empty, in one UpdateIndex. A reader sees the image and its
  // referrers together or not at all. Errors name this layout's index.json.
  Status AddManifest(const Descriptor& root, const std::string& tag,
                     const std::vector<Descriptor>& referrers = {});
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
  // LinkFile: true when the blob is now present (also when it already was:
  // the same file, or one whose content is proven to have the digest; any
  // other file there is replaced), false when it cannot be linked (another
  // filesystem, permissions, a layout ocib may not write).
  bool LinkFile(const std::string& path, const Digest& digest) override;
  // Reads the range with pread, without reading what comes before it.
  Result<std::unique_ptr<Reader>> OpenRange(const Digest& digest, int64_t offset,
                                            int64_t length) override;
  // Makes the names of the blobs committed so far durable (one fsync of the
  // blobs directory; blob contents are fsynced when committed). Tag and
  // AddUntagged call it first, so index.json never names a blob that a
  // crash could lose. kIo when the directory cannot be synced.
  Status SyncBlobs();

 private:
  explicit OciLayout(std::string dir) : dir_(std::move(dir)) {}
  // A new temporary file for a blob: its descriptor and path.
  Result<std::pair<int, std::string>> NewTempFile();
  // Removes the temporary files of writers that are gone (under the lock).
  void SweepStaleTemps() const;
  std::string dir_;
  std::string version_;
  std::atomic<bool> blobs_dir_dirty_{false};
};

// Whether `tag` is a valid ref.name (image-spec annotations grammar).
OCIB_EXPORT bool IsValidRefName(const std::string& tag);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_OCI_LAYOUT_H_
