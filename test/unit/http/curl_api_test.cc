// libcurl loaded at run time (lib/http/curl_api.cc): LoadCurl resolves every
// function once and returns the same table on each call, marking the load
// done; the table works (curl_version_info, an easy handle).
#include "lib/http/curl_api.h"

#include <string>

#include <gtest/gtest.h>

namespace ocib::http {
namespace {

// Every entry of the table is resolved, and the library it came from is a
// libcurl with an SSL backend.
TEST(CurlApiTest, LoadsEveryFunctionAndMarksTheLoadDone) {
  auto api = LoadCurl();
  ASSERT_TRUE(api) << api.error().ToString();
  EXPECT_TRUE(CurlLoadDone());
  const CurlApi& c = **api;
  EXPECT_NE(c.global_init, nullptr);
  EXPECT_NE(c.easy_init, nullptr);
  EXPECT_NE(c.easy_reset, nullptr);
  EXPECT_NE(c.easy_cleanup, nullptr);
  EXPECT_NE(c.easy_setopt, nullptr);
  EXPECT_NE(c.easy_perform, nullptr);
  EXPECT_NE(c.easy_getinfo, nullptr);
  EXPECT_NE(c.easy_strerror, nullptr);
  EXPECT_NE(c.slist_append, nullptr);
  EXPECT_NE(c.slist_free_all, nullptr);
  EXPECT_NE(c.version_info, nullptr);
  EXPECT_NE(c.ssl_ctx_set_client_cert_cb, nullptr);
  const curl_version_info_data* v = c.version_info(CURLVERSION_NOW);
  ASSERT_NE(v, nullptr);
  EXPECT_GE(v->version_num, 0x075500u) << v->version;  // 7.85, as LoadCurl requires
  ASSERT_NE(v->ssl_version, nullptr);
  EXPECT_NE(std::string(v->ssl_version).find("OpenSSL"), std::string::npos) << v->ssl_version;
}

// A second load returns the very same table, and the functions in it work.
TEST(CurlApiTest, LoadsOnceAndTheFunctionsWork) {
  auto first = LoadCurl();
  auto second = LoadCurl();
  ASSERT_TRUE(first && second);
  EXPECT_EQ(*first, *second);
  const CurlApi& c = **first;
  CURL* h = c.easy_init();
  ASSERT_NE(h, nullptr);
  EXPECT_EQ(c.easy_setopt(h, CURLOPT_URL, "http://127.0.0.1:1/"), CURLE_OK);
  c.easy_cleanup(h);
  curl_slist* list = c.slist_append(nullptr, "Accept: */*");
  ASSERT_NE(list, nullptr);
  EXPECT_STREQ(list->data, "Accept: */*");
  c.slist_free_all(list);
  EXPECT_STREQ(c.easy_strerror(CURLE_OK), "No error");
}

}  // namespace
}  // namespace ocib::http
