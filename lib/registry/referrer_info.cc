// DescribeReferrer (lib/registry/referrer_info.h).
#include "lib/registry/referrer_info.h"

#include <optional>
#include <utility>

#include <fmt/format.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"

namespace ocib::registry {

Result<ReferrerInfo> DescribeReferrer(const Descriptor& d, std::string_view bytes) {
  ReferrerInfo info;
  info.descriptor.media_type = d.media_type;
  info.descriptor.digest = d.digest;
  info.descriptor.size = d.size;
  std::optional<Descriptor> subject;
  if (media_type::IsIndex(d.media_type)) {
    OCIB_ASSIGN_OR_RETURN(Index index, Index::Parse(bytes));
    subject = index.subject;
    info.descriptor.artifact_type = index.artifact_type;
    info.descriptor.annotations = std::move(index.annotations);
  } else if (media_type::IsManifest(d.media_type)) {
    OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(bytes));
    subject = m.subject;
    info.descriptor.artifact_type = m.artifact_type.empty() ? m.config.media_type : m.artifact_type;
    info.descriptor.annotations = std::move(m.annotations);
  } else {
    return InvalidArgument(fmt::format("document {} has media type \"{}\", not a manifest or index",
                                       d.digest.ToString(), d.media_type));
  }
  if (subject) info.subject = subject->digest;
  return info;
}

}  // namespace ocib::registry
