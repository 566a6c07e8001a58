// Docker archives: the `docker save` format, read and written.
//
//   manifest.json   [{"Config": "<hex>.json", "RepoTags": ["name:tag"],
//                     "Layers": ["<diff_id hex>.tar", ...]}]
//   <hex>.json      the image config (its sha256 is <hex>)
//   <hex>.tar       one uncompressed tar per layer (its sha256 is the diff_id)
//
// Written: always this shape, one image, one platform, layers decompressed
// (docker load wants uncompressed or gzip layers and no zstd; podman and
// skopeo read either; uncompressed is what all of them accept and what
// `docker save` writes), entries owned by 0:0 with mtime 0, in a fixed
// order: reproducible. Read: any docker save or skopeo or podman output
// (also the OCI-layout shaped output of docker 25, whose manifest.json
// names blobs/sha256/<hex>); layers are kept as stored, an uncompressed
// layer as application/vnd.oci.image.layer.v1.tar (its digest is its
// diff_id), a gzip or zstd layer with that media type (digest computed).
#ifndef OCIB_LIB_LAYOUT_DOCKER_ARCHIVE_H_
#define OCIB_LIB_LAYOUT_DOCKER_ARCHIVE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/platform.h"
#include "ocib/status.h"

#include "lib/layout/image_source.h"

namespace ocib {

// Reads the docker archive open as `file` whose members are `members`:
// manifest.json (at most 4 MiB, 4096 images), each config (at most 16 MiB).
// Documents are made in memory: for each image an OCI manifest and an
// index.json entry per RepoTag (normalised, "docker.io/library/app:1").
Result<std::unique_ptr<ImageSource>> OpenDockerArchive(
    std::shared_ptr<archive::OpenFile> file, std::map<std::string, archive::Member> members);

// Writes the image `root` of `source` to `file` as a docker archive tagged
// `repo_tags` (may be empty), atomically (a temporary file beside it,
// fsynced, renamed). An index must leave one platform: the one matching
// `platform`, or its only one; several and no `platform` is
// kInvalidArgument naming them. Layer diff_ids are checked against the
// config (kDataLoss).
Status WriteDockerArchive(ImageSource& source, const Descriptor& root,
                          const std::optional<Platform>& platform,
                          const std::vector<std::string>& repo_tags, const std::string& file);

// Writes the image tagged `tag` in the layout at `layout_dir` to `archive`:
// for an OCI archive the whole layout (entries mtime `mtime`), for a docker
// archive that image (its only platform) tagged the archive's repo:tag.
Status WriteArchiveFromLayout(const std::string& layout_dir, const std::string& tag,
                              const ArchiveLocation& archive, int64_t mtime);

// The platform manifest of `root`: `root` itself when it is a manifest, else
// the index entry matching `platform` (attestations, os "unknown", left
// out), or the only one. kNotFound when none matches; kInvalidArgument
// "<why> and <root> has N (platforms); select one platform" when several
// and no `platform`.
Result<Descriptor> ChoosePlatformManifest(ImageSource& source, const Descriptor& root,
                                          const std::optional<Platform>& platform,
                                          std::string_view why);

// The platforms of the images `root` names (one for a manifest), from the
// index's descriptors or, for a manifest, its config.
Result<std::vector<Platform>> ImagePlatforms(ImageSource& source, const Descriptor& root);

}  // namespace ocib

#endif  // OCIB_LIB_LAYOUT_DOCKER_ARCHIVE_H_
