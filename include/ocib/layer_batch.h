// File: ocib/layer_batch.h
//
// The layers of several file trees, built into one store the way `ocib
// build` builds its own: with a LayerCache, every tree is looked up first,
// in parallel (on an unchanged rebuild, reading and checking the cached
// blobs is all the work); the misses are then compressed and recorded in
// the cache: one at a time with zstd (it compresses on its own worker
// threads), side by side with gzip and none (single-threaded). Without a
// cache every tree is compressed. Each layer is exactly the one BuildLayer
// gives for its tree.
//
// BuildLayers does it in one call. LayerBatch does it in steps, for a
// builder that wants to start before its destination exists: the cache
// entries can be peeked at (what the layers will probably be, to plan or to
// prepare documents) and checked while the store is still being made.
//
// Example (two platforms' binaries and a shared tree, cached):
//   OCIB_ASSIGN_OR_RETURN(auto cache, ocib::LayerCache::Open(dir));
//   ocib::LayerBatchOptions options;
//   options.cache = cache.get();
//   OCIB_ASSIGN_OR_RETURN(std::vector<ocib::BuiltLayer> layers,
//                         ocib::BuildLayers({&shared, &amd64, &arm64}, layout, options));
//
// Thread safety: a LayerBatch is used by one thread at a time (it runs its
// own threads inside); the trees, the cache and the store must outlive it.
#ifndef OCIB_INCLUDE_OCIB_LAYER_BATCH_H_
#define OCIB_INCLUDE_OCIB_LAYER_BATCH_H_

#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ocib/blob_store.h"
#include "ocib/export.h"
#include "ocib/layer.h"
#include "ocib/layer_cache.h"
#include "ocib/progress.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT LayerBatchOptions {
  // Compression, level and entry mtime of every layer (its on_bytes is not
  // used: see events.on_bytes).
  LayerOptions layer;
  // Not owned; null: no lookups, every layer compressed.
  LayerCache* cache = nullptr;
  // Threads for the lookups and for side-by-side compression (0: one per
  // hardware thread). The layers do not depend on it.
  int jobs = 0;
  // on_plan once before the first layer is made; on_bytes while a layer is
  // compressed; on_layer when one is made (kCached or kBuilt). Called from
  // the batch's threads, never two at once for one layer.
  BuildEvents events;
};

// One tree of a batch: its FileTree; for a tree that holds only a content
// id (FileTree::SetContentId: the cache key alone, its entries not yet
// read), how to make its entries when the cache does not hold it (a tree
// with the same content id, so that the layer is recorded under it); and what
// an error building it says it was ("building NAME"; "layer K" when empty).
struct OCIB_EXPORT LayerInput {
  const FileTree* tree = nullptr;
  std::function<Result<FileTree>()> load;
  std::string name;
};

struct OCIB_EXPORT BuiltLayer {
  Layer layer;
  bool reused = false;  // taken from the cache, not compressed
};

class OCIB_EXPORT LayerBatch {
 public:
  // Computes each tree's cache key (reading host files the cache does not
  // remember) and peeks at its entry. Never fails: a tree whose key cannot
  // be computed is compressed when built.
  LayerBatch(std::vector<LayerInput> inputs, LayerBatchOptions options);
  ~LayerBatch();
  LayerBatch(const LayerBatch&) = delete;
  LayerBatch& operator=(const LayerBatch&) = delete;

  size_t size() const;
  // What the cache entries say every layer is, unchecked (LayerCache::Peek),
  // or nullopt when one tree has no entry (or there is no cache).
  std::optional<std::vector<Layer>> Peeked() const;
  // Starts checking the cached blobs (LayerCache::Check) on the batch's
  // threads, before the store exists; Build then places the intact ones
  // into its store. Without this, Build looks each layer up in its store
  // (LayerCache::Find: nothing is read when the store holds the blob).
  void StartChecks();
  // The layers, in the order of the inputs, in `store`: cached ones placed,
  // the others compressed (and recorded in the cache). The first failing
  // tree's error (see LayerInput::name). Call once.
  Result<std::vector<BuiltLayer>> Build(BlobStore& store);

 private:
  struct State;
  std::unique_ptr<State> state_;
};

// LayerBatch(inputs, options).Build(store), for trees with their entries.
OCIB_EXPORT Result<std::vector<BuiltLayer>> BuildLayers(const std::vector<const FileTree*>& trees,
                                                        BlobStore& store,
                                                        const LayerBatchOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_LAYER_BATCH_H_
