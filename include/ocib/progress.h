// File: ocib/progress.h
//
// What a transfer (push, pull, copy, build --tag) does with each blob, as it
// happens: the events behind the CLI's progress bar and its --json reports.
// Set them in RegistryOptions::events; every member is optional.
//
// Thread safety: on_bytes is called from the transfer's worker threads,
// concurrently for different blobs; on_plan and on_blob are never called
// concurrently by one Push, Pull or Copy.
#ifndef OCIB_INCLUDE_OCIB_PROGRESS_H_
#define OCIB_INCLUDE_OCIB_PROGRESS_H_

#include <cstdint>
#include <functional>
#include <string>
#include <string_view>

#include "ocib/digest.h"

namespace ocib {

// What happened to one blob.
enum class BlobAction {
  kUploaded,    // its bytes were sent
  kMounted,     // the registry linked it from another repository
  kExisted,     // the destination had it (a HEAD, or what the run knew)
  kSkipped,     // not looked at: the destination already had the whole image
  kDownloaded,  // pulled into the layout
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
  }
  return "";
}

struct BlobEvent {
  Digest digest;
  int64_t size = 0;
  BlobAction action = BlobAction::kUploaded;
  double seconds = 0;      // from the start of its transfer to its end
  std::string repository;  // the destination's (push) or the source's (pull)
};

// The blobs a push or pull is about to look at (once, before the first
// on_blob of them).
struct TransferPlan {
  int blobs = 0;
  int64_t bytes = 0;
};

struct TransferEvents {
  std::function<void(const TransferPlan&)> on_plan;
  // Bytes of `digest` sent or received so far, of `total` (at most every
  // 256 KiB and at the end; restarts from 0 when a transfer is retried).
  std::function<void(const Digest& digest, int64_t done, int64_t total)> on_bytes;
  std::function<void(const BlobEvent&)> on_blob;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_PROGRESS_H_
