// File: ocib/sbom_query.h
//
// Finding the SBOMs and other referrers of an image stored in an OCI layout
// or in a registry (`ocib referrers`, `ocib sbom`).
//
// Both forms give the same answers for the same image: the layout's
// index.json lists referrers untagged (ocib/referrers.h); a registry lists
// them through its referrers API or the fallback tag
// (ocib/registry_referrers.h).
#ifndef OCIB_INCLUDE_OCIB_SBOM_QUERY_H_
#define OCIB_INCLUDE_OCIB_SBOM_QUERY_H_

#include <string>
#include <vector>

#include "ocib/export.h"
#include "ocib/reference.h"
#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib {

// For "oci:DIR[:TAG]": one JSON descriptor per line for every referrer of
// the tagged document and, for an index, of each of its manifests (each
// line carries "subject" and the referrer's descriptor with artifactType).
// With `artifact_type` not empty, only the referrers of that type.
OCIB_EXPORT Result<std::vector<std::string>> LayoutReferrers(const std::string& reference,
                                                             const std::string& artifact_type = "");

// The SBOM (its exact bytes) attached to the image for `platform` ("" means
// the only platform, or linux/amd64 when there are several). kNotFound
// when the image has no SBOM.
OCIB_EXPORT Result<std::string> LayoutSbom(const std::string& reference,
                                           const std::string& platform);

// LayoutReferrers for a registry reference (tag or digest): the lines for
// the referrers of the document it names and, for an index, of each of its
// manifests, in that order; each subject's referrers in the registry's
// order.
OCIB_EXPORT Result<std::vector<std::string>> RegistryReferrers(
    const Reference& reference, const RegistryOptions& options,
    const std::string& artifact_type = "");

// LayoutSbom for a registry reference: the SBOM layer's bytes (verified
// against their digest; 64 MiB at most), SPDX preferred over CycloneDX.
// kNotFound when the image has no SBOM or no image for `platform`.
OCIB_EXPORT Result<std::string> RegistrySbom(const Reference& reference,
                                             const std::string& platform,
                                             const RegistryOptions& options);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_SBOM_QUERY_H_
