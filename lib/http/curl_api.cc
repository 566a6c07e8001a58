#include "lib/http/curl_api.h"

#include <dlfcn.h>

#include <mutex>
#include <optional>
#include <string>

namespace ocib::http {
namespace {

constexpr const char* kLibcurl = "libcurl.so.4";

template <typename Fn>
bool Resolve(void* lib, const char* name, Fn* out, std::string* missing) {
  void* sym = ::dlsym(lib, name);
  if (sym == nullptr) {
    if (!missing->empty()) *missing += ", ";
    *missing += name;
    return false;
  }
  // POSIX guarantees that a dlsym result converts to a function pointer.
  *out = reinterpret_cast<Fn>(sym);  // NOLINT(cppcoreguidelines-pro-type-reinterpret-cast)
  return true;
}

Result<const CurlApi*> Load() {
  // RTLD_LOCAL: libcurl's symbols stay out of the global namespace, so a
  // program that links its own libcurl is not affected.
  void* lib = ::dlopen(kLibcurl, RTLD_NOW | RTLD_LOCAL);
  if (lib == nullptr) {
    const char* why = ::dlerror();
    return Error(ErrorCode::kNotFound, std::string("loading ") + kLibcurl + " for HTTP: " +
                                           (why != nullptr ? why : "dlopen failed") +
                                           " (install the libcurl4 package)");
  }
  static CurlApi api{};
  std::string missing;
  Resolve(lib, "curl_global_init", &api.global_init, &missing);
  Resolve(lib, "curl_easy_init", &api.easy_init, &missing);
  Resolve(lib, "curl_easy_reset", &api.easy_reset, &missing);
  Resolve(lib, "curl_easy_cleanup", &api.easy_cleanup, &missing);
  Resolve(lib, "curl_easy_setopt", &api.easy_setopt, &missing);
  Resolve(lib, "curl_easy_perform", &api.easy_perform, &missing);
  Resolve(lib, "curl_easy_getinfo", &api.easy_getinfo, &missing);
  Resolve(lib, "curl_easy_strerror", &api.easy_strerror, &missing);
  Resolve(lib, "curl_slist_append", &api.slist_append, &missing);
  Resolve(lib, "curl_slist_free_all", &api.slist_free_all, &missing);
  Resolve(lib, "curl_version_info", &api.version_info, &missing);
  // dlsym on the handle also searches the libraries libcurl depends on.
  Resolve(lib, "SSL_CTX_set_client_cert_cb", &api.ssl_ctx_set_client_cert_cb, &missing);
  if (!missing.empty()) {
    return Error(ErrorCode::kNotFound,
                 std::string(kLibcurl) + " lacks " + missing +
                     " (ocib needs libcurl 7.85 or later, built with OpenSSL)");
  }
  if (CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    return Internal(std::string("curl_global_init failed: ") + api.easy_strerror(rc));
  }
  // The library stays loaded for the life of the process.
  return &api;
}

}  // namespace

Result<const CurlApi*> LoadCurl() {
  static std::once_flag once;
  static std::optional<Result<const CurlApi*>> loaded;
  std::call_once(once, [] { loaded.emplace(Load()); });
  return *loaded;
}

}  // namespace ocib::http
