// Reading images from any local location: an OCI layout directory, an OCI
// archive (a tar of a layout) or a docker archive (`docker save`), through
// one read-only interface. Archives are read in place: their members are
// indexed once by offset (with libarchive) and blobs are read from the file
// with pread; nothing is unpacked to disk.
//
// Archives must be uncompressed tars (what ocib, skopeo, podman and docker
// write); their members are regular files, directories or, in docker
// archives, symlinks to other members (resolved inside the archive, never
// on the host). The archive file is opened without following a symlink and
// must be a regular file.
#ifndef OCIB_LIB_LAYOUT_IMAGE_SOURCE_H_
#define OCIB_LIB_LAYOUT_IMAGE_SOURCE_H_

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <utility>

#include "ocib/blob_store.h"
#include "ocib/image_location.h"
#include "ocib/manifest.h"
#include "ocib/oci_layout.h"
#include "ocib/status.h"

#include "lib/io/open_file.h"

namespace ocib {

class ImageSource : public BlobStore {
 public:
  // Sources are read-only: kUnimplemented.
  Result<std::unique_ptr<BlobWriter>> NewWriter() override;
  // index.json (for a docker archive: one made from manifest.json, an entry
  // per image tagged with each of its RepoTags, and one untagged entry for
  // an image without RepoTags).
  virtual Result<Index> ReadIndex() = 0;
  // "oci:DIR", "oci-archive:FILE", "docker-archive:FILE" for messages.
  virtual const std::string& name() const = 0;
  // The bytes [offset, offset + length) of a blob; kNotFound when absent.
  Result<std::unique_ptr<Reader>> OpenRange(const Digest& digest, int64_t offset,
                                            int64_t length) override = 0;
  // The layout when the source is a directory, else null.
  virtual OciLayout* directory() { return nullptr; }
};

// Opens a layout or an archive for reading. kInvalidArgument for a registry
// location; kNotFound for a missing file; kInvalidArgument for a file that
// is not a readable archive of its kind.
Result<std::unique_ptr<ImageSource>> OpenImageSource(const ImageLocation& location);

// A source over an open layout (not owned; it must outlive the source).
std::unique_ptr<ImageSource> LayoutImageSource(OciLayout& layout);

// The descriptor `location` names in `source` (SelectImage with its tag or
// digest; a docker archive's repo:tag).
Result<Descriptor> ResolveImage(ImageSource& source, const ImageLocation& location);

namespace archive {

// Opens `path` for reading without following a symlink; it must be a
// regular file.
Result<std::shared_ptr<OpenFile>> OpenRegularFile(const std::string& path);

// One regular member of a tar: where its data starts and how long it is.
struct Member {
  int64_t offset = 0;
  int64_t size = 0;
};

// The members of the tar open at `fd` (named `path` in errors), by
// normalised path (no leading "./"); symlinks to members (relative targets
// inside the archive, one hop) map to their target's data. At most
// `max_members` entries. kInvalidArgument for a compressed or malformed
// tar, a member path with a ".." component or an absolute path.
Result<std::map<std::string, Member>> IndexTar(int fd, const std::string& path,
                                               size_t max_members = 1'000'000);

// The whole member `name`; kNotFound when absent, kInvalidArgument above
// `max_size` bytes.
Result<std::string> ReadMember(const OpenFile& file, const std::map<std::string, Member>& members,
                               const std::string& name, size_t max_size);

}  // namespace archive
}  // namespace ocib

#endif  // OCIB_LIB_LAYOUT_IMAGE_SOURCE_H_
