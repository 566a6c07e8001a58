// File: ocib/sbom_query.h
//
// Finding the SBOMs and other referrers of an image stored in an OCI layout.
#ifndef OCIB_INCLUDE_OCIB_SBOM_QUERY_H_
#define OCIB_INCLUDE_OCIB_SBOM_QUERY_H_

#include <string>
#include <vector>

#include "ocib/status.h"

namespace ocib {

// For "oci:DIR[:TAG]": one JSON descriptor per line for every referrer of
// the tagged document and, for an index, of each of its manifests (each
// line carries "subject" and the referrer's descriptor with artifactType).
Result<std::vector<std::string>> LayoutReferrers(const std::string& reference);

// The SBOM (its exact bytes) attached to the image for `platform` ("" means
// the only platform, or linux/amd64 when there are several). kNotFound
// when the image has no SBOM.
Result<std::string> LayoutSbom(const std::string& reference, const std::string& platform);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_SBOM_QUERY_H_
