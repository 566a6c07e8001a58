#include "lib/archive/libarchive_api.h"

#include <dlfcn.h>

#include <atomic>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace ocib::archive_api {
namespace {

constexpr const char* kLibarchive = "libarchive.so.13";

template <typename Fn>
void Resolve(void* lib, const char* name, Fn* out, std::string* missing) {
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) {
    if (!missing->empty()) *missing += ", ";
    *missing += name;
    return;
  }
  // POSIX guarantees that a dlsym result converts to a function pointer.
  *out = reinterpret_cast<Fn>(sym);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
}

Result<const LibarchiveApi*> Load() {
  void* lib = ::dlopen(kLibarchive, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    return Error(ErrorCode::kNotFound,
                 std::string("loading ") + kLibarchive +
                     " to write layers: " + (why != nullptr ? why : "dlopen failed") +
                     " (install the libarchive13 package)");
  }
  static LibarchiveApi api{};
  std::string missing;
  Resolve(lib, "archive_version_number", &api.version_number, &missing);
  Resolve(lib, "archive_error_string", &api.error_string, &missing);
  Resolve(lib, "archive_write_new", &api.write_new, &missing);
  Resolve(lib, "archive_write_free", &api.write_free, &missing);
  Resolve(lib, "archive_write_set_format_pax_restricted", &api.write_set_format_pax_restricted,
          &missing);
  Resolve(lib, "archive_write_add_filter_none", &api.write_add_filter_none, &missing);
  Resolve(lib, "archive_write_set_bytes_per_block", &api.write_set_bytes_per_block, &missing);
  Resolve(lib, "archive_write_set_bytes_in_last_block", &api.write_set_bytes_in_last_block,
          &missing);
  Resolve(lib, "archive_write_open", &api.write_open, &missing);
  Resolve(lib, "archive_write_header", &api.write_header, &missing);
  Resolve(lib, "archive_write_data", &api.write_data, &missing);
  Resolve(lib, "archive_write_close", &api.write_close, &missing);
  Resolve(lib, "archive_entry_new", &api.entry_new, &missing);
  Resolve(lib, "archive_entry_free", &api.entry_free, &missing);
  Resolve(lib, "archive_entry_set_pathname_utf8", &api.entry_set_pathname_utf8, &missing);
  Resolve(lib, "archive_entry_set_uid", &api.entry_set_uid, &missing);
  Resolve(lib, "archive_entry_set_gid", &api.entry_set_gid, &missing);
  Resolve(lib, "archive_entry_set_mtime", &api.entry_set_mtime, &missing);
  Resolve(lib, "archive_entry_set_filetype", &api.entry_set_filetype, &missing);
  Resolve(lib, "archive_entry_set_size", &api.entry_set_size, &missing);
  Resolve(lib, "archive_entry_set_symlink_utf8", &api.entry_set_symlink_utf8, &missing);
  Resolve(lib, "archive_entry_set_hardlink_utf8", &api.entry_set_hardlink_utf8, &missing);
  Resolve(lib, "archive_entry_set_perm", &api.entry_set_perm, &missing);
  if (!missing.empty()) {
    return Error(ErrorCode::kNotFound, std::string(kLibarchive) + " lacks " + missing);
  }
  // The library stays loaded for the life of the process.
  return &api;
}

}  // namespace

Result<const LibarchiveApi*> LoadLibarchive() {
  static std::once_flag once;
  // Never destroyed: a preload thread may still be filling it in while a
  // process that failed early runs its static destructors.
  static auto* loaded = new std::optional<Result<const LibarchiveApi*>>();
  std::call_once(once, [] { loaded->emplace(Load()); });
  return **loaded;
}

void PreloadLibarchive() {
  static std::atomic<bool> started{false};
  if (started.exchange(true)) return;
  std::thread([] { (void)LoadLibarchive(); }).detach();
}

}  // namespace ocib::archive_api
