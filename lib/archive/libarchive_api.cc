#include "lib/archive/libarchive_api.h"

#include <utility>

#include "lib/io/shared_library.h"

namespace ocib::archive {
namespace {

Result<const LibarchiveApi*> Load() {
  OCIB_ASSIGN_OR_RETURN(
      io::SharedLibrary lib,
      io::SharedLibrary::Open("libarchive.so.13", "for reading tar archives", "libarchive13"));
  static LibarchiveApi api{};
  lib.Resolve("archive_version_number", &api.version_number);
  lib.Resolve("archive_version_string", &api.version_string);
  lib.Resolve("archive_read_new", &api.read_new);
  lib.Resolve("archive_read_free", &api.read_free);
  lib.Resolve("archive_read_support_format_tar", &api.read_support_format_tar);
  lib.Resolve("archive_read_support_format_empty", &api.read_support_format_empty);
  lib.Resolve("archive_read_support_filter_gzip", &api.read_support_filter_gzip);
  lib.Resolve("archive_read_support_filter_zstd", &api.read_support_filter_zstd);
  lib.Resolve("archive_read_open", &api.read_open);
  lib.Resolve("archive_read_open_fd", &api.read_open_fd);
  lib.Resolve("archive_read_open_memory", &api.read_open_memory);
  lib.Resolve("archive_read_next_header", &api.read_next_header);
  lib.Resolve("archive_read_data", &api.read_data);
  lib.Resolve("archive_filter_bytes", &api.filter_bytes);
  lib.Resolve("archive_filter_code", &api.filter_code);
  lib.Resolve("archive_error_string", &api.error_string);
  lib.Resolve("archive_set_error", &api.set_error);
  lib.Resolve("archive_entry_pathname", &api.entry_pathname);
  lib.Resolve("archive_entry_hardlink", &api.entry_hardlink);
  lib.Resolve("archive_entry_symlink", &api.entry_symlink);
  lib.Resolve("archive_entry_filetype", &api.entry_filetype);
  lib.Resolve("archive_entry_perm", &api.entry_perm);
  lib.Resolve("archive_entry_size", &api.entry_size);
  lib.Resolve("archive_entry_uid", &api.entry_uid);
  lib.Resolve("archive_entry_gid", &api.entry_gid);
  lib.Resolve("archive_entry_mtime", &api.entry_mtime);
  lib.Resolve("archive_entry_rdevmajor", &api.entry_rdevmajor);
  lib.Resolve("archive_entry_rdevminor", &api.entry_rdevminor);
  if (Status st = lib.Check(); !st) {
    // archive_read_support_filter_zstd is the newest of them (3.3.3).
    return std::move(st).error().With("ocib needs libarchive 3.3.3 or later");
  }
  return &api;
}

}  // namespace

Result<const LibarchiveApi*> LoadLibarchive() { return io::LoadOnce(&Load); }

}  // namespace ocib::archive
