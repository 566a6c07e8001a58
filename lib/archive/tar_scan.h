// Reading which directories the layers of a base image leave behind: a
// streaming scan of uncompressed tar headers (ustar, pax path records, GNU
// long names) that applies OCI whiteouts layer by layer.
#ifndef OCIB_LIB_ARCHIVE_TAR_SCAN_H_
#define OCIB_LIB_ARCHIVE_TAR_SCAN_H_

#include <cstdint>
#include <set>
#include <string>
#include <string_view>

#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib::archive {

// Largest pax extended header or GNU long name the scan accepts.
inline constexpr uint64_t kMaxTarMetaBytes = uint64_t{1} << 20;

// A Writer fed one layer's uncompressed tar. On Close, `dirs` (the
// directories of the layers below, normalized paths like "etc/ssl") becomes
// the directories after this layer: whiteouts (".wh.NAME", ".wh..wh..opq")
// remove what they hide, a non-directory replaces a directory, and the
// layer's directory entries are added. Malformed or oversized headers are
// kInvalidArgument; nothing is read beyond what is written to it. Close
// may be called more than once.
class TarDirectoryScanner : public Writer {
 public:
  explicit TarDirectoryScanner(std::set<std::string>* dirs) : dirs_(dirs) {}
  Status Write(const void* data, size_t size) override;
  Status Close() override;

 private:
  enum class State { kHeader, kData, kMeta, kPadding, kEnd };
  Status OnHeader();
  Status OnMeta();
  void OnEntry(const std::string& path, char type);

  std::set<std::string>* dirs_;
  std::set<std::string> added_;
  std::set<std::string> removed_;  // paths (and their subtrees) this layer hides
  std::set<std::string> opaque_;   // directories whose lower content is hidden
  State state_ = State::kHeader;
  std::string block_;
  std::string meta_;
  char meta_type_ = 0;
  uint64_t remaining_ = 0;
  uint64_t padding_ = 0;
  std::string next_path_;  // from a pax or GNU long-name record
};

// Normalizes a tar entry name: no leading "./" or "/", no trailing "/",
// no empty or "." components. Empty for the root.
std::string NormalizeTarPath(std::string_view name);

}  // namespace ocib::archive

#endif  // OCIB_LIB_ARCHIVE_TAR_SCAN_H_
