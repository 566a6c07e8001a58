// The libcurl functions the HTTP transport calls, resolved at run time.
//
// libcurl and its dependencies (nghttp2, libssh2, LDAP, Kerberos, GnuTLS for
// librtmp, ...) are ~30 shared libraries; linking them made every ocib
// process pay ~10 ms of dynamic loading before main, also the ones that
// never open a connection (a layout build, `ocib validate`). The transport
// loads libcurl.so.4 on its first request instead.
#ifndef OCIB_LIB_HTTP_CURL_API_H_
#define OCIB_LIB_HTTP_CURL_API_H_

#include <curl/curl.h>
#include <openssl/ssl.h>

#include "ocib/status.h"

namespace ocib::http {

struct CurlApi {
  decltype(&::curl_global_init) global_init;
  decltype(&::curl_easy_init) easy_init;
  decltype(&::curl_easy_reset) easy_reset;
  decltype(&::curl_easy_cleanup) easy_cleanup;
  decltype(&::curl_easy_setopt) easy_setopt;
  decltype(&::curl_easy_perform) easy_perform;
  decltype(&::curl_easy_getinfo) easy_getinfo;
  decltype(&::curl_easy_strerror) easy_strerror;
  decltype(&::curl_slist_append) slist_append;
  decltype(&::curl_slist_free_all) slist_free_all;
  decltype(&::curl_version_info) version_info;
  // From the libssl that libcurl itself loaded (libcurl4 is the OpenSSL
  // flavour), so both agree on what an SSL_CTX is.
  decltype(&::SSL_CTX_set_client_cert_cb) ssl_ctx_set_client_cert_cb;
};

// Loads libcurl.so.4 once (thread-safe) and calls curl_global_init. An error
// (kNotFound) names the library and says which package provides it; it is
// returned again on every call.
Result<const CurlApi*> LoadCurl();

// Whether a LoadCurl call has returned (loaded, or failed for good): a
// caller that would load it ahead of time need not.
bool CurlLoadDone();

}  // namespace ocib::http

#endif  // OCIB_LIB_HTTP_CURL_API_H_
