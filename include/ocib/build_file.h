// File: ocib/build_file.h
//
// Build files: one JSON document describing one or more images, each with
// the fields of `ocib build`'s flags, so a CI step is `ocib build -f
// ocib.json`. Each image becomes a BuildSpec for BuildImage.
//
// Format. The top level is either {"images": [IMAGE, ...]} (at least one
// image, and no other key) or a single IMAGE object. An IMAGE has these keys,
// all optional, named like the CLI's flags with '_' for '-' (unset keys keep
// the BuildSpec defaults):
//
//   key                 JSON type                        BuildSpec field / flag
//   "name"              string                           a label for messages only
//   "base"              string: static, scratch, or a location   base   --base
//   "base_name"         string                           base_name     --base-name
//   "platforms"         array of strings ("all": all_platforms)  platforms  --platform
//   "binaries"          object {platform: path}          binaries      --binary P=PATH
//   "go"                string                           go_package    --go
//   "go_dir"            string                           go_dir        --go-dir
//   "go_flags"          array of strings                 go_flags      --go-flag
//   "go_ldflags"        string                           go_ldflags    --go-ldflags
//   "binary_path"       string                           binary_path   --binary-path
//   "binary_unchecked"  boolean                          binary_unchecked --binary-unchecked
//   "files"             array of "SRC:DEST" strings      files (FileMapping::Parse) --file
//   "entrypoint"        array of strings                 entrypoint    --entrypoint
//   "cmd"               array of strings                 cmd           --cmd
//   "env"               object {K: V} (string values)    env           --env
//   "labels"            object {K: V}                    labels        --label
//   "annotations"       object {K: V}                    annotations   --annotation
//   "expose"            array of "PORT[/PROTO]" strings  expose (ExposedPort::Parse) --expose
//   "user"              string                           user          --user
//   "workdir"           string                           workdir       --workdir
//   "compression"       "zstd" | "gzip" | "none"         compression   --compression
//   "compression_level" integer                          compression_level
//   "output"            string (an image location)       output        --output
//   "sbom"              "spdx" | "cyclonedx" | "none"    sbom          --sbom
//   "tags"              array of strings                 tags          (registry references)
//
// Rules:
// - Types are strict: no null, no number where a string is expected. An
//   unknown key, a duplicate key in any object, a wrong type, an empty
//   "images" array, a malformed platform, compression, "SRC:DEST", port,
//   SBOM format, image location or tag is kInvalidArgument whose message starts with
//   the JSON path of the offending value, e.g.
//     "ocib.json: images[1].platfroms: unknown key (did you mean \"platforms\"?)"
//     "ocib.json: images[0].platforms[2]: expected a string, got number"
//   Malformed JSON is reported with its line and column.
// - Object order is kept: "binaries" in file order gives the platform order
//   when "platforms" is absent, and "env" keeps its order in the config.
//   Keys of "env", "labels" and "annotations" must be non-empty without '='.
// - Relative paths are relative to the build file's directory (`base_dir`),
//   not to the current directory: the "binaries" paths, the SRC of "files",
//   "go_dir", and the DIR/FILE of an "output" or "base" of the form
//   oci:DIR[:TAG] / oci-archive:FILE[:TAG]. When an image has "go" and no
//   "go_dir", go_dir is the build file's directory. "go" itself is a package
//   path relative to go_dir and is kept as written.
// - "name"s must be distinct, and so must the outputs of the images (two
//   images writing the same oci:DIR:TAG would overwrite each other's tag).
// - SOURCE_DATE_EPOCH, the log function and the layer cache settings are not
//   in the file: they come from the caller (see ApplyOverrides).
//
// Example (ocib.json):
//   {"images": [
//     {"name": "server", "platforms": ["linux/amd64", "linux/arm64"],
//      "go": "./cmd/server", "env": {"MODE": "prod"}, "output": "oci:out/server:v1"},
//     {"name": "tool", "binaries": {"linux/amd64": "out/tool"},
//      "labels": {"tier": "batch"}, "output": "oci-archive:out/tool.tar"}]}
//
//   auto images = ocib::LoadBuildFile("ci/ocib.json");
//   if (!images) return images.error();
//   for (auto& image : *images) {
//     auto r = ocib::BuildImage(image.spec);
//     if (!r) return std::move(r).error().With(image.label);
//   }
//
// Thread safety: plain functions on values.
#ifndef OCIB_INCLUDE_OCIB_BUILD_FILE_H_
#define OCIB_INCLUDE_OCIB_BUILD_FILE_H_

#include <cstddef>
#include <functional>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/export.h"
#include "ocib/image_builder.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT BuildFileImage {
  // The "name" key; empty when absent.
  std::string name;
  // For messages: "images[1] (server)", "images[0]", or for a file that is
  // a single image object its name or "image".
  std::string label;
  // The image's fields; every other field has its BuildSpec default.
  BuildSpec spec;
};

// Parses a build file's text. `source_name` (e.g. the file's path) prefixes
// every error message; `base_dir` is the directory relative paths are
// resolved against (empty: they are kept as written). Returns the images in
// file order (at least one), or kInvalidArgument as described above.
OCIB_EXPORT Result<std::vector<BuildFileImage>> ParseBuildFile(std::string_view json,
                                                               std::string_view source_name,
                                                               std::string_view base_dir);

// Reads and parses the build file at `path`; relative paths in it are
// resolved against the directory holding it. kNotFound if it does not exist,
// kIo if it cannot be read, kInvalidArgument as ParseBuildFile.
OCIB_EXPORT Result<std::vector<BuildFileImage>> LoadBuildFile(const std::string& path);

// The build file keys that ApplyOverrides accepts in `given`: every key above
// except "name".
OCIB_EXPORT const std::vector<std::string>& BuildFileFields();

// Merges command-line flags into the images of a build file. For each image,
// every field named in `given` (build file keys, e.g. "labels", "platforms")
// is replaced by its value in `flags`: a flag overrides the file, and a
// repeated flag's list replaces the file's list (it does not append). Fields
// the build file cannot set (source_date_epoch, log, the cache settings, any
// field without a key) are always taken from `flags`. Paths in `flags` are
// kept as given (relative to the current directory).
// kInvalidArgument, with `images` unchanged, if `given` names something that
// is not in BuildFileFields(), or if after the merge two images write the
// same output (for example --output with a file of several images).
OCIB_EXPORT Status ApplyOverrides(std::vector<BuildFileImage>& images, const BuildSpec& flags,
                                  const std::set<std::string>& given);

// How BuildImages runs the images of a build file.
struct OCIB_EXPORT BuildImagesOptions {
  // Images in flight at once (building or pushing); 0: the default,
  // max(16, 8 x cores): pushes mostly wait on the network.
  int jobs = 0;
  // Images building (compressing, writing) at once; 0: 4 x the core count
  // (a build mostly waits for its writes to reach the disk). An image
  // leaves this bound once written, while it is pushed.
  int build_jobs = 0;
  // Receives each image's result in build-file order (image `index`, as
  // soon as it and every image before it are done), from one thread at a
  // time. After a failure, the results of the images that finished are
  // still given, in order.
  std::function<void(size_t index, const BuildResult& result)> on_result;
  // Called with each image's spec just before it builds (from the
  // thread that builds it; images run at once), before its log lines are
  // prefixed: e.g. to attach per-image events. Optional.
  std::function<void(size_t index, BuildSpec& spec)> configure;
};

// Builds (and pushes) `images` in parallel, as BuildImage each. Every
// image's log lines are prefixed with its name ("[server] ...", or its
// label without a name) when there are several images. The images share one
// registry session per registry (RegistrySessions; unless their options
// already name one): one /v2/ probe, one token per scope set, and each blob
// uploaded once per registry, mounted into the other repositories. Digests
// do not depend on `jobs`. On a failure no further image starts, those
// running finish, and the error of the first failing image in file order is
// returned, prefixed with its label.
OCIB_EXPORT Status BuildImages(const std::vector<BuildFileImage>& images,
                               const BuildImagesOptions& run);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_BUILD_FILE_H_
