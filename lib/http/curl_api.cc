#include "lib/http/curl_api.h"

#include <atomic>
#include <string>

#include "lib/io/shared_library.h"

namespace ocib::http {
namespace {

Result<const CurlApi*> Load() {
  OCIB_ASSIGN_OR_RETURN(io::SharedLibrary lib,
                        io::SharedLibrary::Open("libcurl.so.4", "for HTTP", "libcurl4"));
  static CurlApi api{};
  lib.Resolve("curl_global_init", &api.global_init);
  lib.Resolve("curl_easy_init", &api.easy_init);
  lib.Resolve("curl_easy_reset", &api.easy_reset);
  lib.Resolve("curl_easy_cleanup", &api.easy_cleanup);
  lib.Resolve("curl_easy_setopt", &api.easy_setopt);
  lib.Resolve("curl_easy_perform", &api.easy_perform);
  lib.Resolve("curl_easy_getinfo", &api.easy_getinfo);
  lib.Resolve("curl_easy_strerror", &api.easy_strerror);
  lib.Resolve("curl_slist_append", &api.slist_append);
  lib.Resolve("curl_slist_free_all", &api.slist_free_all);
  lib.Resolve("curl_version_info", &api.version_info);
  // From the libraries libcurl depends on: its libssl.
  lib.Resolve("SSL_CTX_set_client_cert_cb", &api.ssl_ctx_set_client_cert_cb);
  if (Status st = lib.Check(); !st) {
    return std::move(st).error().With("ocib needs libcurl 7.85 or later, built with OpenSSL");
  }
  if (CURLcode rc = api.global_init(CURL_GLOBAL_DEFAULT); rc != CURLE_OK) {
    return Internal(std::string("curl_global_init failed: ") + api.easy_strerror(rc));
  }
  return &api;
}

}  // namespace

namespace {
std::atomic<bool> load_done{false};
}  // namespace

Result<const CurlApi*> LoadCurl() {
  Result<const CurlApi*> r = io::LoadOnce(&Load);
  load_done.store(true, std::memory_order_release);
  return r;
}

bool CurlLoadDone() { return load_done.load(std::memory_order_acquire); }

}  // namespace ocib::http
