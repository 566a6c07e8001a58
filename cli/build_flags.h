// The text of `ocib build`'s flags and its parsing into a BuildSpec: the only
// place where flag names meet the build's typed inputs (lib/ never names a
// flag).
#ifndef OCIB_CLI_BUILD_FLAGS_H_
#define OCIB_CLI_BUILD_FLAGS_H_

#include <string>
#include <vector>

#include "ocib/image_builder.h"
#include "ocib/status.h"

namespace ocib::cli {

// The flags whose values are text to parse; the others are read straight
// into a BuildSpec.
struct BuildTexts {
  std::string base = "static";           // --base
  std::vector<std::string> platforms;    // --platform LIST, or "all"
  std::vector<std::string> binaries;     // --binary PLATFORM=PATH
  std::vector<std::string> files;        // --file SRC:DEST
  std::vector<std::string> env;          // --env K=V
  std::vector<std::string> labels;       // --label K=V
  std::vector<std::string> annotations;  // --annotation K=V
  std::vector<std::string> expose;       // --expose PORT[/PROTO]
  std::string output;                    // --output LOCATION
  std::vector<std::string> tags;         // --tag REF
  std::string sbom = "spdx";             // --sbom spdx|cyclonedx|none
  std::string compression = "zstd";      // --compression zstd|gzip|none
};

// Sets `spec`'s fields from `texts`. kInvalidArgument naming the flag and
// its value when one does not parse.
Status ParseBuildTexts(const BuildTexts& texts, BuildSpec& spec);

// The checks a build without a build file gets before BuildImage, worded
// with the flags to give (no platforms, --go with --binary, a platform
// without --binary, no --output nor --tag...). BuildImage makes the same
// checks, worded for library callers.
Status CheckBuildFlags(const BuildSpec& spec);

}  // namespace ocib::cli

#endif  // OCIB_CLI_BUILD_FLAGS_H_
