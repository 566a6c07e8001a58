// File: ocib/layer_cache.h
//
// LayerCache: compressed layers kept on disk between builds, so a rebuild
// with unchanged inputs compresses nothing.
//
// A layer's cache key is the sha256 of everything that decides its bytes:
// for every entry of the FileTree its image path, type, mode, owner, size
// and the sha256 of its content (or its link target); the compression, its
// level and the entries' mtime; the layer format version of ocib (its tar
// writer included) and the versions of the compression libraries. Host
// paths, host mtimes and file order never enter the key, so the same content
// in another directory hits the same entry. A tree with a content id
// (FileTree::SetContentId) is keyed on that id instead of its entries.
//
// Content digests of host files are remembered per (path, device, inode,
// size, mtime, ctime) so an unchanged file is not read again. A file whose
// mtime is less than two seconds old is always read (its timestamp could
// still hide a write).
//
// On disk, under the cache directory:
//   layers/             an OCI image layout holding the compressed blobs
//   keys/XX/KEY.json    the layer descriptor, diff_id and size for KEY, and
//                       the checksum of its blob
//   files/XX/HASH       remembered content digests
// Every file is written to a temporary name and renamed, so concurrent
// builds sharing one cache (threads or processes) are safe: they may both
// build a missing layer, and they then write identical entries.
//
// A cache entry is never trusted blindly: each time it is reused, its whole
// blob is read and its size and checksum are compared with the entry, so a
// corrupt, truncated or replaced blob is caught, the entry is dropped and
// the layer is built again. The checksum is XXH3-128 of the blob's bytes,
// taken as they were written (and sha256-checked); it finds the same
// damage a sha256 would, at memory speed rather than at sha256 speed, which
// is most of what an unchanged rebuild costs. It is not a defence against
// someone who can write the cache: they could rewrite the entry as well,
// whichever hash it named. An entry of an ocib that recorded no checksum is
// checked by sha256 once and given one. When the destination already holds
// the blob, nothing is read or copied. Verify (`ocib cache verify`) checks
// every entry, by sha256 and checksum, on demand.
// Blobs move between the cache and an OCI layout on the same filesystem
// as hard links (no copy): a tool that rewrote a layout's blob file in
// place would change the cached blob too, which the reuse check catches.
// Across filesystems, or into another BlobStore, they are copied. Nothing
// is evicted by a build; Prune (`ocib cache prune`) removes entries by
// last use or total size.
//
// Example:
//   OCIB_ASSIGN_OR_RETURN(std::string dir, ocib::LayerCache::DefaultDir());
//   OCIB_ASSIGN_OR_RETURN(auto cache, ocib::LayerCache::Open(dir));
//   bool reused = false;
//   OCIB_ASSIGN_OR_RETURN(ocib::Layer layer, cache->GetOrBuild(tree, layout, options, &reused));
#ifndef OCIB_INCLUDE_OCIB_LAYER_CACHE_H_
#define OCIB_INCLUDE_OCIB_LAYER_CACHE_H_

#include <memory>
#include <optional>
#include <string>

#include "ocib/blob_store.h"
#include "ocib/export.h"
#include "ocib/layer.h"
#include "ocib/status.h"

namespace ocib {

class OciLayout;

class OCIB_EXPORT LayerCache {
 public:
  ~LayerCache();
  LayerCache(const LayerCache&) = delete;
  LayerCache& operator=(const LayerCache&) = delete;

  // $XDG_CACHE_HOME/ocib, else $HOME/.cache/ocib. kInvalidArgument when
  // neither variable is set to an absolute path.
  static Result<std::string> DefaultDir();

  // Opens the cache in `dir`, creating it when missing. kIo if it cannot be
  // created; kInvalidArgument if `dir/layers` exists but is not a layout.
  static Result<std::unique_ptr<LayerCache>> Open(const std::string& dir);

  const std::string& path() const { return dir_; }

  // The layer BuildLayer(tree, store, options) would give: taken from the
  // cache when an intact entry exists (its blob is copied into `store`,
  // `*reused` set to true), otherwise built into `store` and recorded.
  // `options.threads` does not change the bytes and is not in the key.
  // Errors are BuildLayer's; a failure to record an entry is not an error.
  // Thread safe.
  Result<Layer> GetOrBuild(const FileTree& tree, BlobStore& store, const LayerOptions& options,
                           bool* reused = nullptr);

  // GetOrBuild in parts, for a builder that looks up all its layers first
  // (in parallel: reading the cached blobs to check them is the cost of a
  // warm rebuild) and builds the misses its own way. `key` is Key(tree, options).
  //
  // The hit half: the cached layer, checked and placed in `store`, or
  // nullopt when the cache has no intact entry (a corrupt one is dropped).
  // Never compresses. Thread safe.
  std::optional<Layer> Find(const std::string& key, BlobStore& store, const LayerOptions& options);
  // Find in two steps, for a builder whose destination is still being made
  // (the checks need none). Check: the cached layer when its blob's size
  // and checksum match the entry, else nullopt (a corrupt entry is dropped).
  // Place: puts a checked layer's blob into `store` (nothing when it holds
  // it already; a hard link into an OciLayout on the same filesystem; else a
  // copy, checked again); false when it could not, the entry is kept. Both
  // never compress. Thread safe.
  std::optional<Layer> Check(const std::string& key, const LayerOptions& options);
  bool Place(const Layer& layer, BlobStore& store);
  // What the entry for `key` says the layer is, without checking or copying
  // its blob: a claim for planning (Find checks it). nullopt when there is
  // no readable entry.
  std::optional<Layer> Peek(const std::string& key, const LayerOptions& options);
  // The miss half: BuildLayer into `store`, recorded under `key` unless the
  // inputs changed while it was built. Errors are BuildLayer's.
  Result<Layer> Build(const std::string& key, const FileTree& tree, BlobStore& store,
                      const LayerOptions& options);

  // The cache key of `tree` under `options` (lowercase hex sha256). Reads
  // the content of host files that are not remembered yet.
  Result<std::string> Key(const FileTree& tree, const LayerOptions& options);

  // Eviction. Every reuse of an entry (Find, Check, GetOrBuild) marks it as
  // used now; Prune removes entries by last use and then every blob no kept
  // entry names:
  //   - always: broken entries (unreadable, or their blob is missing or has
  //     the wrong size), blobs no entry names (once they are ten minutes
  //     old, so a build that is recording one keeps it), and temporary
  //     files of writers that died more than an hour ago;
  //   - `unused_for_seconds`: entries not used for that long, and
  //     remembered content digests not written for that long;
  //   - `max_bytes`: the least recently used entries until the blobs of the
  //     rest fit (a blob two entries share counts once);
  //   - `all`: every entry and remembered digest.
  // Shard directories left empty are removed too. With `dry_run` nothing is
  // removed and the result says what would have been.
  // Safe while builds use the cache: a build that loses an entry it was
  // about to reuse finds the blob missing (the reuse check) and compresses
  // the layer again. kNotFound when `dir` holds no cache; kIo when a file
  // cannot be listed or removed.
  struct PruneOptions {
    std::optional<int64_t> max_bytes;
    std::optional<int64_t> unused_for_seconds;
    bool all = false;
    bool dry_run = false;
  };
  struct PruneResult {
    int entries_removed = 0;
    int64_t bytes_removed = 0;  // blob bytes, also of unnamed blobs
    int entries_kept = 0;
    int64_t bytes_kept = 0;
  };
  static Result<PruneResult> Prune(const std::string& dir, const PruneOptions& options);

  // A full check of the cache in `dir`, beyond what a reuse checks: every
  // entry's blob is read and its size, its sha256 (the digest the entry
  // names) and its checksum compared. A broken entry (unreadable, its blob
  // missing or different) is dropped with its blob, as a reuse would drop
  // it, and described in `problems`. Safe while builds use the cache.
  // kNotFound when `dir` holds no cache; kIo when a file cannot be listed
  // or removed.
  struct VerifyResult {
    int entries_checked = 0;  // found intact
    int64_t bytes_checked = 0;
    int entries_dropped = 0;
    std::vector<std::string> problems;
  };
  static Result<VerifyResult> Verify(const std::string& dir);

 private:
  LayerCache(std::string dir, std::unique_ptr<OciLayout> blobs);
  Result<std::string> ContentDigest(const std::string& path);
  std::string EntryPath(const std::string& key) const;
  // An entry file's content: the layer and its blob's checksum.
  struct Entry;
  static std::optional<Entry> ParseEntry(const std::string& text, const std::string& key);
  static std::string EntryText(const std::string& key, const Entry& entry);
  std::optional<Entry> PeekEntry(const std::string& key, const LayerOptions& options);
  bool BlobIntact(const std::string& key, const Entry& entry);
  void Drop(const std::string& key, const std::optional<Entry>& entry);
  void MarkUsed(const std::string& key);
  std::string dir_;
  std::unique_ptr<OciLayout> blobs_;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_LAYER_CACHE_H_
