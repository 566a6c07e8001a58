// Internal URL helpers shared by the HTTP transport and the registry client.
#ifndef OCIB_LIB_HTTP_URL_H_
#define OCIB_LIB_HTTP_URL_H_

#include <string>
#include <string_view>

namespace ocib::http {

// "https://user@Host:port/path?q" -> "Host:port", as written (no case change).
inline std::string UrlHost(std::string_view url) {
  size_t start = url.find("://");
  start = start == std::string_view::npos ? 0 : start + 3;
  size_t end = url.find_first_of("/?#", start);
  std::string_view host =
      url.substr(start, end == std::string_view::npos ? std::string_view::npos : end - start);
  size_t at = host.rfind('@');
  if (at != std::string_view::npos) host = host.substr(at + 1);
  return std::string(host);
}

}  // namespace ocib::http

#endif  // OCIB_LIB_HTTP_URL_H_
