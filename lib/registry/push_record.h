// What this machine's earlier pushes completed, per repository: the root
// digests pushed there and the referrers pushed with each, so a warm
// re-run of a build knows its SBOMs are in place without asking the
// registry (RegistryOptions::push_record_dir).
//
// One file per repository in the record directory, named by the SHA-256 of
// "REGISTRY/REPOSITORY": text lines "ROOT REFERRER" (or "ROOT" alone for a
// root pushed without referrers), newest last, at most kMaxRecordLines.
// The file is read bounded (no symlink followed, a regular file only) and
// replaced atomically; a malformed line is skipped, an unreadable file is
// an empty record: the record only ever saves a request, never decides
// what is pushed without the registry's word on the tag.
#ifndef OCIB_LIB_REGISTRY_PUSH_RECORD_H_
#define OCIB_LIB_REGISTRY_PUSH_RECORD_H_

#include <cstddef>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocib/digest.h"
#include "ocib/status.h"

namespace ocib::registry {

inline constexpr size_t kMaxRecordLines = 512;
inline constexpr size_t kMaxRecordBytes = size_t{128} * 1024;

// The (root, referrer) pairs of a record file's bytes; a root alone has an
// empty referrer. Malformed lines (not one or two digests) are skipped.
std::vector<std::pair<Digest, Digest>> ParsePushRecord(std::string_view bytes);

class PushRecord {
 public:
  // The record of `repository` ("REGISTRY/REPOSITORY") under `dir`.
  PushRecord(std::string dir, std::string_view repository);

  // Whether a push of `root` to this repository completed with `referrer`
  // among its referrers (read once, then cached).
  bool Has(const Digest& root, const Digest& referrer);

  // Records that `root` was pushed with `referrers`: the file is rewritten
  // (its other lines kept, the oldest dropped past kMaxRecordLines).
  Status Add(const Digest& root, const std::vector<Digest>& referrers);

  const std::string& path() const { return path_; }

 private:
  void Load();

  std::string dir_;
  std::string path_;
  bool loaded_ = false;
  std::vector<std::pair<Digest, Digest>> lines_;
};

}  // namespace ocib::registry

#endif  // OCIB_LIB_REGISTRY_PUSH_RECORD_H_
