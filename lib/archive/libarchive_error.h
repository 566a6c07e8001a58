// The text of libarchive's last error on an archive handle.
#pragma once

#include "lib/archive/libarchive_api.h"

namespace ocib::tar {

// archive_error_string() returns null when libarchive set no message (seen
// with damaged gzip and zstd streams); formatting a null char* throws, so
// every caller goes through this.
inline const char* ArchiveErrorText(const archive::LibarchiveApi& api, struct archive* a) {
  const char* text = a != nullptr ? api.error_string(a) : nullptr;
  return text != nullptr ? text : "libarchive gave no reason";
}

}  // namespace ocib::tar
