// BuildImage with registries: a registry base pulled into the base cache,
// and pushes to `tags` after the build (see ocib/image_builder.h).
#ifndef OCIB_LIB_BUILDER_REMOTE_BUILD_H_
#define OCIB_LIB_BUILDER_REMOTE_BUILD_H_

#include <optional>
#include <string>
#include <string_view>

#include "ocib/image_builder.h"
#include "ocib/image_location.h"
#include "ocib/status.h"

namespace ocib::build {

// Where a build writes: a layout directory and tag, or an archive.
struct Output {
  std::string path;
  std::string tag;  // the layout tag ("latest" when not given)
  std::optional<ArchiveLocation> archive;
};
// Parses a build output (ocib/image_location.h); a registry reference is
// kInvalidArgument.
// The layout or archive `where` names; kInvalidArgument for a registry
// reference or a layout named by digest (a layout is written by tag).
Result<Output> OutputOf(const ImageLocation& where);

// Whether `options` need a registry: tags to push, or a registry base.
bool UsesRegistry(const BuildSpec& spec);

// BuildImage for such options: checks the tags, pulls a registry base into
// the cache, builds (through BuildImage, with the cached base and without
// tags) into the output or a temporary layout, then pushes to every tag.
Result<BuildResult> BuildWithRegistry(const BuildSpec& options);

}  // namespace ocib::build

#endif  // OCIB_LIB_BUILDER_REMOTE_BUILD_H_
