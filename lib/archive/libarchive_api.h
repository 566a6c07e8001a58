// The libarchive functions the layer writer calls, resolved at run time.
//
// libarchive pulls in ~17 shared libraries (libxml2 and ICU among them) that
// cost every ocib process ~4 ms of dynamic loading, also the commands that
// never write a tar stream. A build starts loading it on a helper thread
// while it plans and opens its output; the first call of LoadLibarchive
// waits for that load or does it.
#ifndef OCIB_LIB_ARCHIVE_LIBARCHIVE_API_H_
#define OCIB_LIB_ARCHIVE_LIBARCHIVE_API_H_

#include <archive_entry.h>

#include <archive.h>

#include "ocib/status.h"

namespace ocib::archive_api {

struct LibarchiveApi {
  decltype(&::archive_version_number) version_number;
  decltype(&::archive_error_string) error_string;
  decltype(&::archive_write_new) write_new;
  decltype(&::archive_write_free) write_free;
  decltype(&::archive_write_set_format_pax_restricted) write_set_format_pax_restricted;
  decltype(&::archive_write_add_filter_none) write_add_filter_none;
  decltype(&::archive_write_set_bytes_per_block) write_set_bytes_per_block;
  decltype(&::archive_write_set_bytes_in_last_block) write_set_bytes_in_last_block;
  decltype(&::archive_write_open) write_open;
  decltype(&::archive_write_header) write_header;
  decltype(&::archive_write_data) write_data;
  decltype(&::archive_write_close) write_close;
  decltype(&::archive_entry_new) entry_new;
  decltype(&::archive_entry_free) entry_free;
  decltype(&::archive_entry_set_pathname_utf8) entry_set_pathname_utf8;
  decltype(&::archive_entry_set_uid) entry_set_uid;
  decltype(&::archive_entry_set_gid) entry_set_gid;
  decltype(&::archive_entry_set_mtime) entry_set_mtime;
  decltype(&::archive_entry_set_filetype) entry_set_filetype;
  decltype(&::archive_entry_set_size) entry_set_size;
  decltype(&::archive_entry_set_symlink_utf8) entry_set_symlink_utf8;
  decltype(&::archive_entry_set_hardlink_utf8) entry_set_hardlink_utf8;
  decltype(&::archive_entry_set_perm) entry_set_perm;
};

// Loads libarchive.so.13 once (thread-safe). kNotFound names the library and
// the package that provides it; the same error is returned on every call.
Result<const LibarchiveApi*> LoadLibarchive();

}  // namespace ocib::archive_api

#endif  // OCIB_LIB_ARCHIVE_LIBARCHIVE_API_H_
