// Running `go build` for each platform of an image.
#ifndef OCIB_LIB_BUILDER_GO_BUILD_H_
#define OCIB_LIB_BUILDER_GO_BUILD_H_

#include <string>
#include <vector>

#include "ocib/image_builder.h"
#include "ocib/platform.h"

namespace ocib::build {

// Builds options.go_package for each platform into `out_dir` (one binary per
// platform, in `platforms` order), in parallel. kBuildFailed with go's
// output when a build fails; kNotFound when `go` is not installed.
Result<std::vector<std::string>> GoBuildAll(const BuildSpec& options,
                                            const std::vector<Platform>& platforms,
                                            const std::string& out_dir);

// The environment additions for one platform: GOOS, GOARCH, GOARM, GOAMD64.
std::vector<std::string> GoEnvFor(const Platform& platform);

}  // namespace ocib::build

#endif  // OCIB_LIB_BUILDER_GO_BUILD_H_
