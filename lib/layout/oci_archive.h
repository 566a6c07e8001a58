// OCI archives: a tar of an OCI layout (oci-layout, index.json, blobs/).
#ifndef OCIB_LIB_LAYOUT_OCI_ARCHIVE_H_
#define OCIB_LIB_LAYOUT_OCI_ARCHIVE_H_

#include <cstdint>
#include <string>

#include "ocib/status.h"

namespace ocib {

// Writes the layout in `layout_dir` as an uncompressed tar at `file`
// (entries sorted, owned by 0:0, mtime `mtime`), atomically: a temp file
// beside `file` renamed into place. An existing file is replaced.
Status WriteOciArchive(const std::string& layout_dir, const std::string& file, int64_t mtime);

}  // namespace ocib

#endif  // OCIB_LIB_LAYOUT_OCI_ARCHIVE_H_
