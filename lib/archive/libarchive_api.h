// The libarchive functions ocib calls, resolved at run time.
//
// libarchive brings libxml2, ICU (libicuuc and the 30 MB libicudata),
// liblzma, liblz4, libbz2, libacl and libnettle with it; linking it made
// every ocib process pay ~1.3 ms of dynamic loading before main, also the
// ones that never read a tar archive (a build from a directory, a push).
// The readers (lib/archive/tar_read.cc, lib/archive/unpack.cc,
// lib/layout/image_source.cc) load libarchive.so.13 when they first open an
// archive instead, as the HTTP transport does with libcurl
// (lib/http/curl_api.h).
#ifndef OCIB_LIB_ARCHIVE_LIBARCHIVE_API_H_
#define OCIB_LIB_ARCHIVE_LIBARCHIVE_API_H_

#include <archive_entry.h>

#include <archive.h>

#include "ocib/status.h"

namespace ocib::archive {

struct LibarchiveApi {
  // Identify the library that was loaded (diagnostics, tests).
  decltype(&::archive_version_number) version_number;
  decltype(&::archive_version_string) version_string;
  // Read handles.
  decltype(&::archive_read_new) read_new;
  decltype(&::archive_read_free) read_free;
  decltype(&::archive_read_support_format_tar) read_support_format_tar;
  decltype(&::archive_read_support_format_empty) read_support_format_empty;
  decltype(&::archive_read_support_filter_gzip) read_support_filter_gzip;
  decltype(&::archive_read_support_filter_zstd) read_support_filter_zstd;
  decltype(&::archive_read_open) read_open;
  decltype(&::archive_read_open_fd) read_open_fd;
  decltype(&::archive_read_open_memory) read_open_memory;
  decltype(&::archive_read_next_header) read_next_header;
  decltype(&::archive_read_data) read_data;
  decltype(&::archive_filter_bytes) filter_bytes;
  decltype(&::archive_filter_code) filter_code;
  decltype(&::archive_error_string) error_string;
  decltype(&::archive_set_error) set_error;
  // Entries.
  decltype(&::archive_entry_pathname) entry_pathname;
  decltype(&::archive_entry_hardlink) entry_hardlink;
  decltype(&::archive_entry_symlink) entry_symlink;
  decltype(&::archive_entry_filetype) entry_filetype;
  decltype(&::archive_entry_perm) entry_perm;
  decltype(&::archive_entry_size) entry_size;
  decltype(&::archive_entry_uid) entry_uid;
  decltype(&::archive_entry_gid) entry_gid;
  decltype(&::archive_entry_mtime) entry_mtime;
  decltype(&::archive_entry_rdevmajor) entry_rdevmajor;
  decltype(&::archive_entry_rdevminor) entry_rdevminor;
};

// Loads libarchive.so.13 once (thread-safe). An error (kNotFound) names the
// library and says which package provides it; it is returned again on every
// call.
Result<const LibarchiveApi*> LoadLibarchive();

}  // namespace ocib::archive

#endif  // OCIB_LIB_ARCHIVE_LIBARCHIVE_API_H_
