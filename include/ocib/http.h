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
//    transport failures only, each of a TransportFailure kind (below) that
//    callers decide on (retry, plain-HTTP fallback); never on the message.
//    Connection, DNS, timeout and cut-short failures are kUnavailable; TLS
//    failures too, except a missing or rejected client certificate
//    (kUnauthenticated); a response over `max_body_bytes` is
//    kInvalidArgument; a failing body source or sink's error is returned
//    as is (kind kLocal).
//  - A 2xx response body goes to `request.sink` when one is set, otherwise
//    to HttpResponse::body; non-2xx bodies always go to HttpResponse::body,
//    truncated to 64 KiB (the rest is not read: the transfer stops there).
//  - Bounded reading: a 2xx answer whose Content-Length exceeds
//    `max_body_bytes` is refused before its body is read, and a transfer is
//    aborted as soon as more than `max_body_bytes` arrive.
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

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/export.h"
#include "ocib/io.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT HttpHeader {
  std::string name;
  std::string value;
};

struct OCIB_EXPORT HttpResponse {
  int status = 0;
  std::vector<HttpHeader> headers;
  std::string body;

  // The first value of header `name` (case-insensitive), or "".
  std::string Header(std::string_view name) const;
  // All values of header `name`, in order.
  std::vector<std::string> HeaderValues(std::string_view name) const;
};

struct OCIB_EXPORT HttpRequest {
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
  // The most 2xx body bytes accepted (-1: no limit).
  int64_t max_body_bytes = -1;
  // Deadlines; zero means the transport's default. `stall_timeout`: the
  // transfer moved less than 1 KiB/s for this long (nothing arriving, or a
  // trickle). `total_timeout`: the whole exchange took this long.
  std::chrono::seconds stall_timeout{0};
  std::chrono::seconds total_timeout{0};
};

// Why a round trip failed without an HTTP response.
enum class TransportFailure {
  kNone,
  kDns,             // the host name did not resolve
  kConnect,         // connection refused or unreachable
  kTlsHandshake,    // the TLS handshake failed (e.g. the peer speaks plain HTTP)
  kTlsCertificate,  // the peer's certificate was not trusted
  kTlsClientCert,   // a client certificate was required, or was rejected
  kTimeout,         // a deadline passed: connect, no progress, or total
  kReset,           // the connection dropped, or the body was cut short
  kProtocol,        // the peer's answer was not HTTP
  kTooLarge,        // the response exceeded HttpRequest::max_body_bytes
  kLocal,           // the request body source or the response sink failed
};

// A short name for `kind` ("connect", "timeout", ...).
OCIB_EXPORT std::string_view TransportFailureName(TransportFailure kind);
// Whether a failure of this kind may be cured by trying again: connect,
// timeout, reset, protocol.
OCIB_EXPORT bool IsRetryableTransportFailure(TransportFailure kind);

// The result of one round trip: a response, or an error with the kind of
// transport failure (kLocal for errors without one). Shaped like
// Result<HttpResponse>.
class [[nodiscard]] HttpResult {
 public:
  HttpResult(HttpResponse response)  // NOLINT(google-explicit-constructor)
      : result_(std::move(response)) {}
  HttpResult(Error error)  // NOLINT(google-explicit-constructor)
      : result_(std::move(error)), failure_(TransportFailure::kLocal) {}
  HttpResult(Result<HttpResponse> result)  // NOLINT(google-explicit-constructor)
      : result_(std::move(result)),
        failure_(result_ ? TransportFailure::kNone : TransportFailure::kLocal) {}
  HttpResult(TransportFailure kind, Error error) : result_(std::move(error)), failure_(kind) {}

  bool has_value() const { return result_.has_value(); }
  explicit operator bool() const { return has_value(); }
  HttpResponse& value() & { return result_.value(); }
  const HttpResponse& value() const& { return result_.value(); }
  HttpResponse&& value() && { return std::move(result_).value(); }
  HttpResponse& operator*() & { return value(); }
  const HttpResponse& operator*() const& { return value(); }
  HttpResponse* operator->() { return &value(); }
  const HttpResponse* operator->() const { return &value(); }
  const Error& error() const& { return result_.error(); }
  Error& error() & { return result_.error(); }
  Error&& error() && { return std::move(result_).error(); }
  // kNone for a response.
  TransportFailure failure() const { return failure_; }
  bool retryable() const { return IsRetryableTransportFailure(failure_); }

 private:
  Result<HttpResponse> result_;
  TransportFailure failure_ = TransportFailure::kNone;
};

class OCIB_EXPORT HttpTransport {
 public:
  virtual ~HttpTransport() = default;
  virtual HttpResult RoundTrip(const HttpRequest& request) = 0;
};

// The per-host TLS directories (docker's and containers' certs.d), highest
// priority first: $OCIB_CERTS_D_DIRS split on ':' when that variable is set (set but
// empty: none), otherwise the user's $XDG_CONFIG_HOME/containers/certs.d
// (else $HOME/.config/containers/certs.d), /etc/containers/certs.d and
// /etc/docker/certs.d, in the order containers-certs.d(5) gives. CAs of
// every directory are trusted; the first client certificate found is used.
OCIB_EXPORT std::vector<std::string> DefaultCertDirs();

struct OCIB_EXPORT HttpTransportOptions {
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
  // Defaults for HttpRequest::stall_timeout and total_timeout (0: none).
  long stall_timeout_seconds = 60;  // NOLINT(google-runtime-int): curl's type
  long total_timeout_seconds = 0;   // NOLINT(google-runtime-int): curl's type
  std::string user_agent = "ocib";
};

// The libcurl transport.
OCIB_EXPORT std::unique_ptr<HttpTransport> MakeCurlTransport(HttpTransportOptions options = {});

// `url` with userinfo removed and the values of credential-like query
// parameters (token, signature, password, secret, state ...) replaced by
// "REDACTED".
OCIB_EXPORT std::string RedactUrl(std::string_view url);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_HTTP_H_
