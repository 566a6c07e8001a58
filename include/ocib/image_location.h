// File: ocib/image_location.h
//
// Where an image is: the one parser of the locations every command and
// library entry takes (`--base`, `--output`, the sources and destinations of
// push, pull and copy, inspect, validate, sbom, referrers).
//
//   spelling                          alternative       defaults
//   oci:DIR                           LayoutLocation    tag not given (see below)
//   oci:DIR:TAG                       LayoutLocation    tag TAG
//   oci:DIR@sha256:HEX                LayoutLocation    the index.json entry of that digest
//   oci-archive:FILE[:TAG]            ArchiveLocation   as oci:
//   docker-archive:FILE               ArchiveLocation   no repo:tag
//   docker-archive:FILE:REPO[:TAG]    ArchiveLocation   repo_tag REPO:TAG (TAG: latest)
//   docker://REF, REF                 RegistryLocation  Reference::Parse (ocib/reference.h)
//
// Layouts and OCI archives: the TAG is what follows the last ':' when that
// part has no '/'; so a path that has a ':' needs a tag ("oci:a:b:v1" is
// path "a:b", tag "v1"; "oci:a:b" is path "a", tag "b"). A trailing ':' (an
// empty tag), an empty path and a tag outside the ref.name grammar are
// kInvalidArgument. Docker archives split at the first ':' after the prefix
// (as skopeo does): what follows is a docker reference without digest,
// normalised ("app" is "docker.io/library/app:latest").
//
// Tag not given:
//   reading  the entry tagged "latest" when there is one, else the only
//            tagged entry, else (no entry tagged) the only untagged image
//            entry without artifactType (referrers do not count); several
//            and none named is kInvalidArgument listing the tags
//            (SelectImage). A docker archive: its only image, else
//            kInvalidArgument listing the RepoTags.
//   writing  the source's tag when the source has one (copy, pull), else
//            "latest" (build output; copy and pull of a digest). A docker
//            archive written without repo:tag has empty RepoTags (docker
//            and podman load it untagged).
// Registry references without tag and digest read and write "latest".
//
// Thread safety: value types.
#ifndef OCIB_INCLUDE_OCIB_IMAGE_LOCATION_H_
#define OCIB_INCLUDE_OCIB_IMAGE_LOCATION_H_

#include <string>
#include <string_view>
#include <variant>

#include "ocib/export.h"
#include "ocib/manifest.h"
#include "ocib/reference.h"
#include "ocib/status.h"

namespace ocib {

// "oci:DIR[:TAG|@DIGEST]": an OCI image layout directory.
struct OCIB_EXPORT LayoutLocation {
  std::string path;
  std::string tag;  // "latest" when not given
  bool tag_given = false;
  std::string digest;  // "sha256:..." for oci:DIR@DIGEST (then tag is empty)
  friend bool operator==(const LayoutLocation&, const LayoutLocation&) = default;
};

// "oci-archive:FILE[:TAG]" (a tar of an OCI layout) or
// "docker-archive:FILE[:REPO:TAG]" (the `docker save` format).
struct OCIB_EXPORT ArchiveLocation {
  enum class Kind { kOci, kDocker };
  Kind kind = Kind::kOci;
  std::string path;
  std::string tag;  // oci-archive: as LayoutLocation::tag
  bool tag_given = false;
  // docker-archive: the normalised "name:tag" (Reference::String()), or
  // empty when not given.
  std::string repo_tag;
  friend bool operator==(const ArchiveLocation&, const ArchiveLocation&) = default;
};

// "docker://REF" or a plain registry reference.
struct OCIB_EXPORT RegistryLocation {
  Reference reference;
  friend bool operator==(const RegistryLocation&, const RegistryLocation&) = default;
};

struct OCIB_EXPORT ImageLocation {
  std::variant<LayoutLocation, ArchiveLocation, RegistryLocation> where;

  // Parses any spelling of the table above. kInvalidArgument naming `text`
  // and why.
  static Result<ImageLocation> Parse(std::string_view text);

  const LayoutLocation* layout() const { return std::get_if<LayoutLocation>(&where); }
  const ArchiveLocation* archive() const { return std::get_if<ArchiveLocation>(&where); }
  const RegistryLocation* registry() const { return std::get_if<RegistryLocation>(&where); }
  // Whether it is "oci:", "oci-archive:" or "docker-archive:" (a local file
  // or directory rather than a registry).
  bool IsLocal() const { return registry() == nullptr; }
  // The tag a destination gets when none is given: the source's tag
  // (layout, oci-archive or registry), or empty when it has none.
  std::string SourceTag() const;
  // The canonical spelling: "oci:DIR:TAG" (":TAG" only when given),
  // "oci:DIR@DIGEST", "oci-archive:FILE[:TAG]",
  // "docker-archive:FILE[:NAME:TAG]", or the normalised registry reference.
  std::string ToString() const;

  friend bool operator==(const ImageLocation&, const ImageLocation&) = default;
};

// The index.json entry `tag` / `digest` / `tag_given` name, with the
// defaults above: `tag` when given or when an entry has it, else the only
// image. `where` names the layout or archive in errors. kNotFound for a
// missing tag or digest; kInvalidArgument listing the tags when several
// images leave the choice open.
OCIB_EXPORT Result<Descriptor> SelectImage(const Index& index, std::string_view tag, bool tag_given,
                                           std::string_view digest, std::string_view where);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_IMAGE_LOCATION_H_
