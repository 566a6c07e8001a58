#include "lib/archive/libarchive_api.h"

#include "lib/io/shared_library.h"

namespace ocib::archive_api {
namespace {

Result<const LibarchiveApi*> Load() {
  OCIB_ASSIGN_OR_RETURN(
      io::SharedLibrary lib,
      io::SharedLibrary::Open("libarchive.so.13", "to write layers", "libarchive13"));
  static LibarchiveApi api{};
  lib.Resolve("archive_version_number", &api.version_number);
  lib.Resolve("archive_error_string", &api.error_string);
  lib.Resolve("archive_write_new", &api.write_new);
  lib.Resolve("archive_write_free", &api.write_free);
  lib.Resolve("archive_write_set_format_pax_restricted", &api.write_set_format_pax_restricted);
  lib.Resolve("archive_write_add_filter_none", &api.write_add_filter_none);
  lib.Resolve("archive_write_set_bytes_per_block", &api.write_set_bytes_per_block);
  lib.Resolve("archive_write_set_bytes_in_last_block", &api.write_set_bytes_in_last_block);
  lib.Resolve("archive_write_open", &api.write_open);
  lib.Resolve("archive_write_header", &api.write_header);
  lib.Resolve("archive_write_data", &api.write_data);
  lib.Resolve("archive_write_close", &api.write_close);
  lib.Resolve("archive_entry_new", &api.entry_new);
  lib.Resolve("archive_entry_free", &api.entry_free);
  lib.Resolve("archive_entry_set_pathname_utf8", &api.entry_set_pathname_utf8);
  lib.Resolve("archive_entry_set_uid", &api.entry_set_uid);
  lib.Resolve("archive_entry_set_gid", &api.entry_set_gid);
  lib.Resolve("archive_entry_set_mtime", &api.entry_set_mtime);
  lib.Resolve("archive_entry_set_filetype", &api.entry_set_filetype);
  lib.Resolve("archive_entry_set_size", &api.entry_set_size);
  lib.Resolve("archive_entry_set_symlink_utf8", &api.entry_set_symlink_utf8);
  lib.Resolve("archive_entry_set_hardlink_utf8", &api.entry_set_hardlink_utf8);
  lib.Resolve("archive_entry_set_perm", &api.entry_set_perm);
  OCIB_RETURN_IF_ERROR(lib.Check());
  return &api;
}

}  // namespace

Result<const LibarchiveApi*> LoadLibarchive() { return io::LoadOnce(&Load); }

}  // namespace ocib::archive_api
