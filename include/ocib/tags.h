// File: ocib/tags.h
//
// Listing the tags of a repository or an OCI layout (`ocib ls`), and
// pointing more tags at an image (`ocib tag`).
//
// Registries: ListTags reads GET /v2/<name>/tags/list page by page,
// following the `Link: <...?n=&last=>; rel="next"` header. With `digests`
// each tag is resolved with one HEAD (Docker-Content-Digest; a GET when the
// registry leaves the header out). Tag re-PUTs the image's manifest bytes,
// unchanged, under every new tag that does not already name it: no blob is
// read or written, and the digest stays the same. Requests: the source's
// HEAD (none when it is given by digest) and one HEAD per new tag; then,
// only when a tag must move, the manifest's GET and a PUT per such tag.
//
// OCI layouts (`oci:DIR`): the tags are the
// `org.opencontainers.image.ref.name` annotations of index.json; Tag adds
// one index.json entry per new tag (the tagged descriptor, with the new
// name), in one locked, atomic write.
//
// Example:
//   auto loc = ocib::ImageLocation::Parse("127.0.0.1:5000/app:1");
//   auto lines = ocib::TagImage(*loc, {"stable", "1.0"}, {});
//   // "127.0.0.1:5000/app:stable@sha256:...", "127.0.0.1:5000/app:1.0@sha256:..."
#ifndef OCIB_INCLUDE_OCIB_TAGS_H_
#define OCIB_INCLUDE_OCIB_TAGS_H_

#include <string>
#include <vector>

#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/pull.h"
#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT ListTagsOptions {
  // Resolve each tag to its digest (one request per tag for a registry).
  bool digests = false;
  // Tags per page asked of a registry (?n=); 0: the registry's default.
  int page_size = 0;
};

struct OCIB_EXPORT TagEntry {
  std::string tag;
  // Set when ListTagsOptions::digests (a layout always has it).
  Digest digest;
  // "REPO:TAG@sha256:..." or "oci:DIR:TAG@sha256:..." (when the digest is
  // known), else "REPO:TAG".
  std::string reference;
};

// The tags of `repository` (a registry repository without tag or digest, or
// a layout without tag), in the registry's order (a layout's: index.json's
// order). kInvalidArgument when a tag or digest is given; kNotFound when
// the repository or layout does not exist.
OCIB_EXPORT Result<std::vector<TagEntry>> ListTags(const ImageLocation& repository,
                                                   const ListTagsOptions& list,
                                                   const RegistryOptions& options);

// Points each of `new_tags` at the image `source` names (a registry
// reference by tag or digest, or a tagged layout), in the same repository
// or layout. Every tag is checked before anything is written
// (kInvalidArgument); a missing source is kNotFound. Returns one
// "REPO:TAG@sha256:..." line per new tag.
OCIB_EXPORT Result<std::vector<std::string>> TagImage(const ImageLocation& source,
                                                      const std::vector<std::string>& new_tags,
                                                      const RegistryOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_TAGS_H_
