// What the referrers API says of a referrer: its subject and descriptor,
// read from the manifest or index itself.
#ifndef OCIB_LIB_REGISTRY_REFERRER_INFO_H_
#define OCIB_LIB_REGISTRY_REFERRER_INFO_H_

#include <string_view>

#include "ocib/descriptor.h"
#include "ocib/status.h"

namespace ocib::registry {

// For a manifest or index `bytes` described by `d`: its subject digest
// (empty when it has none) and its referrers-API descriptor (d's media
// type, digest and size; artifactType = the document's, or else the
// manifest's config media type; the document's annotations).
struct ReferrerInfo {
  Digest subject;
  Descriptor descriptor;
};
Result<ReferrerInfo> DescribeReferrer(const Descriptor& d, std::string_view bytes);

}  // namespace ocib::registry

#endif  // OCIB_LIB_REGISTRY_REFERRER_INFO_H_
