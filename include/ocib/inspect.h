// File: ocib/inspect.h
//
// Reads an image from an OCI layout for display.
#ifndef OCIB_INCLUDE_OCIB_INSPECT_H_
#define OCIB_INCLUDE_OCIB_INSPECT_H_

#include <string>
#include <vector>

#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

// For a local location ("oci:DIR[:TAG]", "oci-archive:FILE[:TAG]",
// "docker-archive:FILE[:REPO:TAG]"; see ocib/image_location.h): the exact bytes of the tagged
// document (index or manifest), then (for an index) the exact bytes of each platform manifest,
// then those of each manifest's config, in index order: the documents InspectRemote gives.
// kNotFound for a missing tag or blob.
OCIB_EXPORT Result<std::vector<std::string>> InspectLayout(const std::string& reference);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_INSPECT_H_
