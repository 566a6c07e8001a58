// What the CLI shows of a transfer (push, pull, copy, build --tag) and of a
// build's layers: a progress bar on a terminal and the --json report, both
// fed by the library's per-blob and per-layer events (ocib/progress.h).
#ifndef OCIB_CLI_TRANSFER_VIEW_H_
#define OCIB_CLI_TRANSFER_VIEW_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/image_builder.h"
#include "ocib/registry.h"

namespace ocib::cli {

class TransferView {
 public:
  // `bar`: draw a progress bar on stderr (bytes, blobs, rate, time left),
  // redrawn at most every 100 ms; the per-blob lines of `progress` scroll
  // above it. `json`: keep every blob event for JsonReport.
  TransferView(bool bar, bool json);
  ~TransferView();
  TransferView(const TransferView&) = delete;
  TransferView& operator=(const TransferView&) = delete;

  // Sets `o.events` and wraps `o.progress`; the callbacks keep what they
  // need alive, so `o` may outlive the view.
  void Attach(RegistryOptions& o) const;
  // The same for a build: its layers (compressed or cached) and its push.
  // One view may serve several builds running at once (a build file).
  void Attach(BuildSpec& o) const;
  // Writes `line` (which carries its own "ocib: ") and a newline above the
  // bar.
  void PrintLine(std::string_view line) const;
  // Removes the bar from the terminal.
  void Finish() const;
  // One JSON object: {"digest", "references", "blobs": [{"digest", "size",
  // "action", "seconds", "repository"}], "counts": {action: n}, "bytes"
  // (moved: uploaded and downloaded), "seconds"}. A build's layers are
  // blobs with the action "built" or "cached" and no repository.
  std::string JsonReport(const std::string& digest,
                         const std::vector<std::string>& references) const;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

// A view for the registry flags: a bar when stderr is a terminal and
// neither -v nor -q is given; events kept when `json`.
std::unique_ptr<TransferView> MakeTransferView(bool verbose, bool quiet, bool json);

}  // namespace ocib::cli

#endif  // OCIB_CLI_TRANSFER_VIEW_H_
