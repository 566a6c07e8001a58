// BuildImage with registries: a registry base pulled into the base cache,
// and pushes to `tags` after the build (see ocib/image_builder.h).
#ifndef OCIB_LIB_BUILDER_REMOTE_BUILD_H_
#define OCIB_LIB_BUILDER_REMOTE_BUILD_H_

#include "ocib/image_builder.h"
#include "ocib/status.h"

namespace ocib::build {

// Whether `options` need a registry: tags to push, or a registry base.
bool UsesRegistry(const BuildOptions& options);

// BuildImage for such options: checks the tags, pulls a registry base into
// the cache, builds (through BuildImage, with the cached base and without
// tags) into the output or a temporary layout, then pushes to every tag.
Result<BuildResult> BuildWithRegistry(const BuildOptions& options);

}  // namespace ocib::build

#endif  // OCIB_LIB_BUILDER_REMOTE_BUILD_H_
