// File: ocib/http.h
//
// One HTTP exchange at a time, behind an interface so that the registry
// client can be tested with an in-memory fake (ggcr's http.RoundTripper,
// google-cloud-cpp's RestClient).
//
// Contract:
//  - RoundTrip sends exactly one request and follows no redirect; the caller
//    (the registry client) follows them, so that it decides which headers
//    cross a host boundary.
//  - An HTTP status of any value is a successful round trip. Errors are
//    transport failures only:
//      kUnavailable  connection refused/reset, DNS, timeouts, a body cut
//                    short. Retrying may help. Message starts "network:".
//      kUnavailable  TLS failures, message starting "TLS handshake" (the peer
//                    does not speak TLS, e.g. plain HTTP) or "TLS certificate"
//                    (verification failed). Retrying does not help.
//      kUnauthenticated  "TLS client certificate ...": the peer asked for a
//                    client certificate and none is configured (certs.d), or
//                    it rejected the one presented. Not retried either.
//      other codes   the request body source or the response sink failed;
//                    their error is returned as is.
//  - A 2xx response body goes to `request.sink` when one is set, otherwise
//    to HttpResponse::body; non-2xx bodies always go to HttpResponse::body,
//    truncated to 64 KiB.
//  - Header names in HttpResponse are lower case; values keep their case.
//  - Nothing secret is logged: the verbose log shows method, redacted URL,
//    status and header names whose values are not credentials.
//
// Thread safety: a transport is safe for concurrent RoundTrip calls. The
// curl transport keeps a pool of handles, so connections (and HTTP/2
// sessions) are reused between calls. Proxies come from curl's environment:
// https_proxy or HTTPS_PROXY (CONNECT tunnels), http_proxy (lower case only)
// and NO_PROXY or no_proxy.
#ifndef OCIB_INCLUDE_OCIB_HTTP_H_
#define OCIB_INCLUDE_OCIB_HTTP_H_

#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib {

struct HttpHeader {
  std::string name;
  std::string value;
};

struct HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  // The first value of header `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
  // All values of header `name`, in order.
  std::vector<std::string> HeaderValues(std::string_view name) const;
};

struct HttpRequest {
  std::string method = "GET";
  std::string url;
  std::vector<HttpHeader> headers;
  // The body, when `body_source` is not set.
  std::string body;
  // Opens the body; called once per RoundTrip. `body_size` must then be its
  // exact length.
  std::function<Result<std::unique_ptr<Reader>>()> body_source;
  int64_t body_size = -1;
  // Receives a 2xx response body (streamed); must outlive the call.
  Writer* sink = nullptr;
  // Called once, before the first body byte is delivered, with the status
  // and headers (body empty). Optional.
  std::function<void(const HttpResponse&)> on_response_start;
  // false: TLS certificates and host names are not verified (insecure
  // registries only).
  bool verify_tls = true;
};

class HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual Result<HttpResponse> RoundTrip(const HttpRequest& request) = 0;
};

// The per-host TLS directories (docker's and containers' certs.d), highest
// priority first: $OCIB_CERTS_D_DIRS split on ':' when that variable is set (set but
// empty: none), otherwise the user's $XDG_CONFIG_HOME/containers/certs.d
// (else $HOME/.config/containers/certs.d), /etc/containers/certs.d and
// /etc/docker/certs.d, in the order containers-certs.d(5) gives. CAs of
// every directory are trusted; the first client certificate found is used.
std::vector<std::string> DefaultCertDirs();

struct HttpTransportOptions {
  // Extra CA certificates (PEM) trusted in addition to the system bundle
  // (or $SSL_CERT_FILE when set).
  std::string ca_file;
  // Per-host TLS material, read as docker does: for a request to HOST[:PORT]
  // (the port only when the URL names one), every DIR/HOST[:PORT]/ in these
  // directories is read: each *.crt is a trusted CA for that host (on top of
  // the system bundle or $SSL_CERT_FILE); NAME.cert with NAME.key (e.g.
  // client.cert + client.key; the first pair in name order) is the client
  // certificate presented to it. A NAME.cert without NAME.key, a NAME.key
  // without NAME.cert, or an unreadable file fails the request with
  // kInvalidArgument naming the file.
  std::vector<std::string> cert_dirs = DefaultCertDirs();
  // Receives one redacted line per exchange (for --verbose); may be empty.
  std::function<void(std::string_view)> log;
  long connect_timeout_seconds = 30;  // NOLINT(google-runtime-int): curl's type
  // A transfer slower than 1 byte/s for this long is aborted.
  long stall_timeout_seconds = 60;  // NOLINT(google-runtime-int): curl's type
  std::string user_agent = "ocib";
};

// The libcurl transport.
std::unique_ptr<HttpTransport> MakeCurlTransport(HttpTransportOptions options = {});

// `url` with userinfo removed and the values of credential-like query
// parameters (token, signature, password, secret, state ...) replaced by
// "REDACTED".
std::string RedactUrl(std::string_view url);

// Whether `error` is a transport failure that a retry may cure.
bool IsRetryableTransportError(const Error& error);
// Whether `error` says the peer did not speak TLS (plain HTTP fallback).
bool IsTlsHandshakeError(const Error& error);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_HTTP_H_
