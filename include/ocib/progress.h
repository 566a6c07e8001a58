// File: ocib/progress.h
//
// What a transfer (push, pull, copy, build --tag) does with each blob, and
// what a build does with each new layer, as it happens: the events behind
// the CLI's progress bar and its --json reports. Set them in
// RegistryOptions::events (transfers) and BuildSpec::events (the layers a
// build compresses or takes from its cache); every member is optional.
//
// Thread safety: on_bytes is called from the transfer's or the build's
// worker threads, concurrently for different blobs or layers; on_plan and
// on_blob are never called concurrently by one Push, Pull or Copy, while a
// build's on_layer may be (one per platform layer compressed side by side).
#ifndef OCIB_INCLUDE_OCIB_PROGRESS_H_
#define OCIB_INCLUDE_OCIB_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ocib/digest.h"
#include "ocib/export.h"

namespace ocib {

// What happened to one blob.
enum class BlobAction {
  kUploaded,    // its bytes were sent
  kMounted,     // the registry linked it from another repository
  kExisted,     // the destination had it (a HEAD, or what the run knew)
  kSkipped,     // not looked at: the destination already had the whole image
  kDownloaded,  // pulled into the layout
  kBuilt,       // a new layer a build compressed
  kCached,      // a new layer a build took from its layer cache
};

// "uploaded", "mounted", "existed", "skipped", "downloaded".
constexpr std::string_view BlobActionName(BlobAction a) {
  switch (a) {
    case BlobAction::kUploaded:
      return "uploaded";
    case BlobAction::kMounted:
      return "mounted";
    case BlobAction::kExisted:
      return "existed";
    case BlobAction::kSkipped:
      return "skipped";
    case BlobAction::kDownloaded:
      return "downloaded";
    case BlobAction::kBuilt:
      return "built";
    case BlobAction::kCached:
      return "cached";
  }
  return "";
}

struct OCIB_EXPORT BlobEvent {
  Digest digest;
  int64_t size = 0;
  BlobAction action = BlobAction::kUploaded;
  double seconds = 0;      // from the start of its transfer to its end
  std::string repository;  // the destination's (push) or the source's (pull)
};

// The blobs a push or pull is about to look at (once, before the first
// on_blob of them).
struct OCIB_EXPORT TransferPlan {
  int blobs = 0;
  int64_t bytes = 0;
};

struct OCIB_EXPORT TransferEvents {
  std::function<void(const TransferPlan&)> on_plan;
  // Bytes of `digest` sent or received so far, of `total` (at most every
  // 256 KiB and at the end; restarts from 0 when a transfer is retried).
  std::function<void(const Digest& digest, int64_t done, int64_t total)> on_bytes;
  std::function<void(const BlobEvent&)> on_blob;
};

// One new layer of a build: the embedded base, the shared files, or a
// platform's binary.
struct OCIB_EXPORT LayerEvent {
  int index = 0;  // the layer's position among the build's new layers
  Digest digest;  // the compressed blob
  int64_t size = 0;
  int64_t uncompressed_size = 0;           // the tar's bytes
  BlobAction action = BlobAction::kBuilt;  // kBuilt or kCached
  double seconds = 0;                      // compressing it, or finding it
};

struct OCIB_EXPORT BuildEvents {
  // Once, before the first layer is compressed: `blobs` new layers, `bytes`
  // their content's uncompressed size (exact for cached layers, the files'
  // sizes for the others).
  std::function<void(const TransferPlan&)> on_plan;
  // Uncompressed bytes of layer `index` compressed so far (at most every
  // 256 KiB and at the end), of about `total` (its files' sizes).
  std::function<void(int index, int64_t done, int64_t total)> on_bytes;
  std::function<void(const LayerEvent&)> on_layer;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_PROGRESS_H_
