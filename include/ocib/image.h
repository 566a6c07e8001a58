// File: ocib/image.h
//
// The typed image model: an Image (one platform's manifest and config, and
// the store its layers are read from, lazily) and an ImageIndex (the images
// of a location's root, in its order). Values: every operation below
// returns a new value and never changes its input or writes anything;
// WriteImage is the only function that writes.
//
// Documents keep their JSON: an operation edits the fields it changes and
// writes the document again in ocib's canonical form (sorted keys, no
// whitespace), so fields ocib does not model are kept, and the same input
// and the same operations give the same digests. No time stamp is taken
// from the clock.
//
// Reading: ReadImage takes an oci:DIR[:TAG] layout, an oci-archive or
// docker-archive (read in place) or a registry reference. Manifests and
// configs are read (bounded, verified against their descriptors); layers
// are not: each Image keeps the store they are in (the layout, the archive, or the registry
// repository as a BlobStore, ocib/registry_store.h) and WriteImage copies
// only what the destination lacks. Registry to registry, layers are mounted
// (same registry) or streamed (another one), never stored on disk.
#ifndef OCIB_INCLUDE_OCIB_IMAGE_H_
#define OCIB_INCLUDE_OCIB_IMAGE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ocib/blob_store.h"
#include "ocib/descriptor.h"
#include "ocib/digest.h"
#include "ocib/export.h"
#include "ocib/image_config.h"
#include "ocib/image_location.h"
#include "ocib/io.h"
#include "ocib/layer.h"
#include "ocib/manifest.h"
#include "ocib/platform.h"
#include "ocib/registry.h"
#include "ocib/sbom.h"
#include "ocib/status.h"

namespace ocib {

// Where blobs can be read: a store and, when it is a registry repository,
// "REGISTRY/REPOSITORY" (a write to another repository of that registry
// mounts blobs from it instead of moving their bytes).
struct OCIB_EXPORT BlobSource {
  std::shared_ptr<BlobStore> store;
  std::string repository;
};

// One platform image.
struct OCIB_EXPORT Image {
  // The manifest (its descriptor carries the index entry's platform and
  // annotations when it came from an index) and the config.
  Document manifest;
  Document config;
  // Parsed from them: the manifest's layers and the config's
  // rootfs.diff_ids (same length), its platform.
  std::vector<Descriptor> layers;
  std::vector<Digest> diff_ids;
  Platform platform;
  // Where the layers can be read: the location the image was read from
  // (its store is never null for a read image) and, for layers that
  // operations added (appended, or a new base's), the source of each.
  BlobSource blobs;
  std::map<Digest, BlobSource> added;

  // The source of the blob `digest`: its entry in `added`, else `blobs`.
  const BlobSource& SourceOf(const Digest& digest) const {
    auto it = added.find(digest);
    return it == added.end() ? blobs : it->second;
  }
};

// A referrer to write with the images (an SBOM artifact): its manifest,
// whose subject is one of the images, and the blobs it lists, in `store`.
struct OCIB_EXPORT Attachment {
  Document manifest;
  Digest subject;
  std::vector<Descriptor> blobs;
  std::shared_ptr<BlobStore> store;
};

// The root of a location: one image, or an index of images.
struct OCIB_EXPORT ImageIndex {
  // The root document: the index, or the single image's manifest.
  Document root;
  bool is_index = false;
  std::vector<Image> images;
  // For each image, its entry in the index's "manifests" (index only).
  std::vector<size_t> entries;
  // Index entries that are not platform images (attestations with platform
  // unknown/unknown, nested indexes, artifacts): they describe the source's
  // manifests, and Reindex leaves them out.
  std::vector<Descriptor> others;
  // The digests of the documents as read (root and images): the subjects
  // of the source's referrers.
  std::vector<Digest> source_digests;
  // Referrers WriteImage writes after the images and before the tag
  // (WithSboms makes them). ReadImage reads none, Reindex drops them (they
  // describe the images replaced), SelectPlatforms keeps those of the kept
  // images.
  std::vector<Attachment> attachments;
};

// ---- Reading and writing -------------------------------------------------

// With `platforms`, only the matching images of an index are read (a wanted
// platform that is not there: kNotFound naming the available ones).
OCIB_EXPORT Result<ImageIndex> ReadImage(const ImageLocation& from, const RegistryOptions& options,
                                         const std::vector<Platform>& platforms = {});

struct OCIB_EXPORT WrittenImage {
  Descriptor root;
  // "REF@sha256:...", "oci:DIR:TAG@sha256:..." or the archive's location
  // "@sha256:...".
  std::vector<std::string> written;
  // True when the destination tag already named the root: nothing written
  // (one HEAD of the tag, or one read of index.json).
  bool unchanged = false;
};

// Writes `image` to a layout (blobs it lacks copied, documents written with
// one round of flushes, then one index.json write: the attachments listed
// untagged, then the tag), a registry (blobs HEADed, mounted or uploaded,
// manifests, the attachments, then the tag) or an archive (ocib/
// archive_writer.h: written whole, entries dated 1970, replacing the file;
// an oci-archive lists the attachments, a docker-archive holds one platform
// image and no attachment). The destination must be a tag.
// With attachments, "unchanged" also needs them to be there: in a layout,
// each of them listed in index.json; in a registry, as
// RegistryOptions::check_referrers checks a push's referrers (by default a
// HEAD of the last one, none when this machine's push record lists it).
OCIB_EXPORT Result<WrittenImage> WriteImage(const ImageIndex& image, const ImageLocation& to,
                                            const RegistryOptions& options);

// Puts `image` into any store: the layers it lacks (copied from where each
// image's are), then the configs, manifests, the root and the attachments'
// manifests with one PutAll. A store has no tags: the caller names the root
// (OciLayout::Tag, ArchiveWriter::Commit, a registry tag). Returns the root.
OCIB_EXPORT Result<Descriptor> PutImage(const ImageIndex& image, BlobStore& store);

// How many referrers the location's images had (listed through the
// referrers API or the layout's index.json; an archive's are not
// counted); notes for what failed.
struct OCIB_EXPORT ReferrerCount {
  int total = 0;
  std::vector<std::string> notes;
};
OCIB_EXPORT ReferrerCount CountReferrers(const ImageLocation& from,
                                         const std::vector<Digest>& subjects,
                                         const RegistryOptions& options);

// ---- Starting an image ---------------------------------------------------

// An image with no layers: `config` (its diff_ids must be empty:
// kInvalidArgument otherwise), written in canonical form, and an OCI
// manifest listing it. Its platform is the config's; no store holds its
// blobs (WriteImage writes the documents).
OCIB_EXPORT Result<Image> EmptyImage(const ImageConfig& config);

// A new image on `base`, as `build` starts one: the base's layers (read
// where the base's are), its config as ImageConfig keeps it (fields it does
// not model are dropped, ocib/image_config.h) with a history of one entry
// per layer (the base's when it describes its layers, else entries
// "base layer K" dated as the base), and a new OCI manifest annotated with
// org.opencontainers.image.base.digest (the base's manifest) and
// org.opencontainers.image.base.name (`base_name`, when not empty). The
// base manifest's own annotations are not kept. ReplaceBase starts from
// the same history, so both give the digests a build gives.
OCIB_EXPORT Result<Image> ImageOnBase(const Image& base, const std::string& base_name);

// `image` with `config` as its config document, written in canonical form
// (only the fields ImageConfig models). Its diff_ids must be the image's
// (kInvalidArgument otherwise); the image's platform becomes the config's.
// The manifest keeps its config media type (an OCI image's is OCI's).
OCIB_EXPORT Result<Image> WithConfigFile(const Image& image, const ImageConfig& config);

// ---- Operations on one image ---------------------------------------------

// Config fields to change (as `ocib mutate`): unset fields are kept.
struct OCIB_EXPORT ConfigChanges {
  // Replace the entrypoint / cmd when set (an empty vector clears it).
  std::optional<std::vector<std::string>> entrypoint;
  std::optional<std::vector<std::string>> cmd;
  // "K=V": replaces the variable K, or is appended.
  std::vector<std::string> env;
  std::map<std::string, std::string> labels;
  std::optional<std::string> user;
  std::optional<std::string> working_dir;
  // "PORT", "PORT/tcp" or "PORT/udp": added to the exposed ports.
  std::vector<std::string> expose;
};

// Checks `changes` (env K=V, ports): kInvalidArgument naming the entry.
OCIB_EXPORT Status CheckConfigChanges(const ConfigChanges& changes);

OCIB_EXPORT Result<Image> SetConfig(const Image& image, const ConfigChanges& changes);
// Sets (or replaces) manifest annotations.
OCIB_EXPORT Result<Image> SetAnnotations(const Image& image,
                                         const std::map<std::string, std::string>& set);

// A layer to append: an existing blob (in `store`, or already where the
// image's layers are when `store` is null) and its diff_id.
struct OCIB_EXPORT NewLayer {
  Descriptor blob;
  Digest diff_id;
  std::shared_ptr<BlobStore> store;
};
// Appends a layer: manifest layer, config rootfs.diff_ids, and a history
// entry {created, created_by} (`created`: RFC 3339, empty for none) when
// the config's history has one entry per layer (an image with layers and
// no history stays without: a history must describe every layer or none;
// an image with no layers and no history gets one).
OCIB_EXPORT Result<Image> AppendLayer(const Image& image, const NewLayer& layer,
                                      const std::string& created, const std::string& created_by);
// AppendLayer for several layers at once, in order, `created_by[i]` the
// history entry of `layers[i]` (same number: kInvalidArgument otherwise);
// the documents are edited once.
OCIB_EXPORT Result<Image> AppendLayers(const Image& image, const std::vector<NewLayer>& layers,
                                       const std::string& created,
                                       const std::vector<std::string>& created_by);
// AppendLayers and WithConfigFile in one step, each document written once:
// `layers` appended to the manifest and `config` made the image's config
// (its diff_ids must be the image's followed by the layers': kInvalidArgument
// otherwise; its history is the caller's). What `build` does per platform.
OCIB_EXPORT Result<Image> AppendLayersWithConfig(const Image& image,
                                                 const std::vector<NewLayer>& layers,
                                                 const ImageConfig& config);
// Builds `tree` into `store` (ocib/layer.h: sorted, 0:0, one mtime) and
// appends it as AppendLayer does.
OCIB_EXPORT Result<Image> AppendTree(const Image& image, const FileTree& tree,
                                     const std::shared_ptr<BlobStore>& store,
                                     const LayerOptions& options, const std::string& created_by);

// Reads the tar stream `tar` (.tar, .tar.gz or .tar.zst, recognised from
// the bytes; at most 1 GiB, held in memory) into a file tree under ocib's
// rules (as `ocib append` reads a tarball: absolute and ".." paths, device
// entries and whiteouts refused with kInvalidArgument naming `name` and the
// entry) and appends it as AppendTree does.
OCIB_EXPORT Result<Image> AppendTar(const Image& image, Reader& tar, const std::string& name,
                                    const std::shared_ptr<BlobStore>& store,
                                    const LayerOptions& options, const std::string& created_by);

// Replaces the base layers: `old_base`'s layers must be the first layers of
// `image` (kInvalidArgument naming the platform otherwise). The result
// has `new_base`'s layers, diff_ids and history followed by the image's own
// (its layers, diff_ids and the history entries after the old base's; no
// history when the image's does not describe its layers),
// the image's container config, created time and platform, and the
// annotations org.opencontainers.image.base.digest (new base manifest) and
// base.name (`base_name`, or removed when empty). The config is written
// from the typed ImageConfig (ocib/image_config.h) as `build` writes it, so
// rebasing onto B2 an image built on B1 gives the digest building on B2
// gives.
OCIB_EXPORT Result<Image> ReplaceBase(const Image& image, const Image& old_base,
                                      const Image& new_base, const std::string& base_name);

// ---- Operations on an index ----------------------------------------------

// `index` with an SBOM (`format`) attached to each image, made from the Go
// binary in its layers as `build` makes it: the binary the config's
// entrypoint names (its first element, an absolute path) or, when that is
// not a Go binary, the only Go binary of the image's filesystem (layers
// applied, whiteouts honoured, hard links followed); the image config's
// `created` as the SBOM's time. Layers are read (and verified): this is
// the one operation that downloads them. An image with no Go binary, or
// several and none named by the entrypoint, gets no SBOM and a line in
// `*notes` (may be null); a layer that cannot be read is an error. Files
// over 1 GiB are not read.
OCIB_EXPORT Result<ImageIndex> WithSboms(const ImageIndex& index, SbomFormat format,
                                         std::vector<std::string>* notes);

// Keeps the images matching one of `platforms` (all when empty); a wanted
// platform that is not there is kNotFound naming the available ones.
OCIB_EXPORT Result<ImageIndex> SelectPlatforms(const ImageIndex& index,
                                               const std::vector<Platform>& platforms);
// The image of `index` for `platform` (kNotFound naming the available ones).
OCIB_EXPORT Result<Image> FindPlatform(const ImageIndex& index, const Platform& platform);
// A new root for `images` (at least one): with one image, its manifest;
// with more, an OCI image index listing their manifests in order, each
// entry with its image's platform, annotated with `annotations` (with one
// image, `annotations` must be empty: set them on the image). Reindex, by
// contrast, keeps an existing index's entries and fields.
OCIB_EXPORT Result<ImageIndex> MakeIndex(
    std::vector<Image> images, const std::map<std::string, std::string>& annotations = {});
// `index` with `images` (same number, same order) in place of its images:
// a new root (the index document with the new entries' digests and sizes,
// the other entries left out, `annotations` set; or the single manifest).
OCIB_EXPORT Result<ImageIndex> Reindex(const ImageIndex& index, std::vector<Image> images,
                                       const std::map<std::string, std::string>& annotations = {});

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_IMAGE_H_
