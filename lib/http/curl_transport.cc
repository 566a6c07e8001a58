// HttpTransport on libcurl easy handles. libcurl stays inside this file and
// is loaded on the first request (curl_api.h).
//
// Handles are pooled (a handle keeps its connection cache across
// curl_easy_reset), so consecutive requests to a registry reuse one TLS
// connection or HTTP/2 session. C callbacks park their error in the
// per-call state and return curl's abort value.
#include <dirent.h>

#include <algorithm>
#include <array>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <map>
#include <mutex>
#include <optional>
#include <sstream>

#include <fmt/format.h>

#include "ocib/http.h"

#include "lib/core/env.h"
#include "lib/http/curl_api.h"
#include "lib/http/url.h"
#include <sys/stat.h>

namespace ocib {
namespace {

constexpr size_t kMaxBufferedBody = size_t{64} * 1024;
// A transfer below this many bytes per second for the stall timeout fails.
constexpr long kLowSpeedBytes = 1024;  // NOLINT(google-runtime-int): curl's type

using CurlPtr = std::unique_ptr<CURL, decltype(&curl_easy_cleanup)>;
using SlistPtr = std::unique_ptr<curl_slist, decltype(&curl_slist_free_all)>;

std::string LowerAscii(std::string_view s) {
  std::string out(s);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string Trim(std::string_view s) {
  size_t b = 0;
  size_t e = s.size();
  while (b < e && (s[b] == ' ' || s[b] == '\t' || s[b] == '\r' || s[b] == '\n')) ++b;
  while (e > b && (s[e - 1] == ' ' || s[e - 1] == '\t' || s[e - 1] == '\r' || s[e - 1] == '\n')) {
    --e;
  }
  return std::string(s.substr(b, e - b));
}

bool ReadWholeFile(const std::string& path, std::string* out) {
  std::ifstream in(path, std::ios::binary);
  if (!in) return false;
  std::ostringstream ss;
  ss << in.rdbuf();
  *out = ss.str();
  return true;
}

bool IsFile(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0 && S_ISREG(st.st_mode);
}

// TLS material for one host.
struct TlsConfig {
  std::string ca_blob;  // empty: curl's default (or $SSL_CERT_FILE)
  std::string client_cert;
  std::string client_key;
};

// Reads one certs.d directory for `host` (absent: nothing): every *.crt is
// appended to `extra`; the first NAME.cert with NAME.key is the client
// certificate unless `cfg` has one.
Status ReadCertDir(const std::string& host, const std::string& hostdir, TlsConfig& cfg,
                   std::string& extra) {
  DIR* d = ::opendir(hostdir.c_str());
  if (d == nullptr) return OkStatus();
  std::vector<std::string> names;
  while (dirent* e = ::readdir(d)) names.emplace_back(e->d_name);
  ::closedir(d);
  std::sort(names.begin(), names.end());
  auto what = [&](const std::string& msg) {
    return InvalidArgument(fmt::format("TLS setup for {} from {}: {}", host, hostdir, msg));
  };
  std::string pem;
  for (const std::string& name : names) {
    std::string path = hostdir + "/" + name;
    auto ends = [&](std::string_view suf) {
      return name.size() > suf.size() &&
             name.compare(name.size() - suf.size(), suf.size(), suf) == 0;
    };
    auto stem = [&](size_t suffix) { return path.substr(0, path.size() - suffix); };
    if (ends(".crt")) {
      if (!ReadWholeFile(path, &pem)) return what("cannot read " + name);
      extra += pem + "\n";
    } else if (ends(".cert")) {
      std::string key = stem(5) + ".key";
      if (!IsFile(key)) return what(fmt::format("{} has no matching key file {}", name, key));
      if (cfg.client_cert.empty()) {
        cfg.client_cert = path;
        cfg.client_key = key;
      }
    } else if (ends(".key")) {
      if (!IsFile(stem(4) + ".cert")) {
        return what(fmt::format("{} has no matching certificate {}.cert", name, stem(4)));
      }
    }
  }
  return OkStatus();
}

struct CallState {
  const HttpRequest* request = nullptr;
  HttpResponse* response = nullptr;
  std::unique_ptr<Reader> body_reader;
  size_t body_offset = 0;  // for in-memory bodies
  std::optional<Error> parked;
  int64_t received = 0;
  int64_t sent = 0;  // request body bytes handed to curl
  bool started = false;
  // The 2xx body exceeded request->max_body_bytes (announced or received).
  bool too_large = false;
  int64_t announced = -1;  // its Content-Length, when that was the reason
  // A non-2xx body reached kMaxBufferedBody and the transfer was stopped.
  bool truncated = false;
  // A TLS peer asked for a client certificate and none was configured.
  bool client_cert_requested = false;
  // A client certificate from certs.d was configured for this call.
  bool client_cert_set = false;
};

// Whether a TLS failure is the peer's alert about our client certificate.
bool IsClientCertAlert(const std::string& detail) {
  static constexpr std::array<std::string_view, 6> kAlerts = {
      "alert bad certificate",     "alert unknown ca",          "alert certificate required",
      "alert certificate expired", "alert certificate revoked", "alert certificate unknown"};
  return std::ranges::any_of(
      kAlerts, [&](std::string_view alert) { return detail.find(alert) != std::string::npos; });
}

// The call running on this thread, for OpenSSL callbacks (a connection, and
// its SSL_CTX, may outlive the call that opened it).
thread_local CallState* current_call = nullptr;

// Called by OpenSSL when the server requests a client certificate and none
// is set (certs.d has none for the host): note it, send none.
int NoClientCertCallback(SSL* /*ssl*/, X509** /*x509*/, EVP_PKEY** /*pkey*/) {
  if (current_call != nullptr) current_call->client_cert_requested = true;
  return 0;
}

CURLcode SslCtxCallback(CURL* /*curl*/, void* ssl_ctx, void* /*userdata*/) {
  // Only set on handles of a transport that has loaded libcurl.
  auto api = http::LoadCurl();
  if (api)
    (*api)->ssl_ctx_set_client_cert_cb(static_cast<SSL_CTX*>(ssl_ctx), &NoClientCertCallback);
  return CURLE_OK;
}

bool Is2xx(int status) { return status >= 200 && status < 300; }

// Whether a 2xx answer announces more body than the request accepts (HEAD
// answers carry the size of what a GET would return: not checked).
bool IsOversized(CallState& st, const std::string& content_length) {
  const HttpRequest& req = *st.request;
  if (req.max_body_bytes < 0 || req.method == "HEAD" || !Is2xx(st.response->status)) return false;
  if (content_length.empty() || content_length.size() > 18 ||
      !std::ranges::all_of(content_length, [](char c) { return c >= '0' && c <= '9'; })) {
    return false;
  }
  int64_t n = std::stoll(content_length);
  if (n <= req.max_body_bytes) return false;
  st.too_large = true;
  st.announced = n;
  return true;
}

size_t HeaderCallback(char* data, size_t size, size_t nitems, void* userdata) {
  auto* st = static_cast<CallState*>(userdata);
  size_t n = size * nitems;
  std::string_view line(data, n);
  try {
    if (line.rfind("HTTP/", 0) == 0) {
      // A new response (after 100 Continue or similar): start over.
      st->response->headers.clear();
      size_t sp = line.find(' ');
      if (sp != std::string_view::npos) {
        st->response->status = std::atoi(std::string(line.substr(sp + 1, 3)).c_str());
      }
      return n;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
      std::string name = LowerAscii(Trim(line.substr(0, colon)));
      std::string value = Trim(line.substr(colon + 1));
      if (name == "content-length" && IsOversized(*st, value)) return 0;
      st->response->headers.push_back({std::move(name), std::move(value)});
    }
  } catch (...) {
    st->parked = Internal("out of memory reading response headers");
    return 0;
  }
  return n;
}

size_t WriteCallback(char* data, size_t size, size_t nmemb, void* userdata) {
  auto* st = static_cast<CallState*>(userdata);
  size_t n = size * nmemb;
  int status = st->response->status;
  st->received += static_cast<int64_t>(n);
  try {
    if (!st->started) {
      st->started = true;
      if (st->request->on_response_start) st->request->on_response_start(*st->response);
    }
    std::string& body = st->response->body;
    if (!Is2xx(status)) {
      // Error bodies are only read for their first words.
      size_t room = kMaxBufferedBody - std::min(kMaxBufferedBody, body.size());
      body.append(data, std::min(room, n));
      if (n > room) st->truncated = true;
      return n > room ? 0 : n;
    }
    if (st->request->max_body_bytes >= 0 && st->received > st->request->max_body_bytes) {
      st->too_large = true;
      return 0;
    }
    if (st->request->sink == nullptr) {
      body.append(data, n);
      return n;
    }
    Status s = st->request->sink->Write(data, n);
    if (!s) {
      st->parked = std::move(s).error();
      return 0;
    }
    return n;
  } catch (...) {
    st->parked = Internal("out of memory reading response body");
    return 0;
  }
}

size_t ReadCallback(char* buffer, size_t size, size_t nitems, void* userdata) {
  auto* st = static_cast<CallState*>(userdata);
  size_t cap = size * nitems;
  try {
    if (st->body_reader) {
      Result<size_t> r = st->body_reader->Read(buffer, cap);
      if (!r) {
        st->parked = std::move(r).error();
        return CURL_READFUNC_ABORT;
      }
      st->sent += static_cast<int64_t>(*r);
      return *r;
    }
    const std::string& body = st->request->body;
    size_t n = std::min(cap, body.size() - st->body_offset);
    // A byte range of the body for libcurl, not a C string.
    // NOLINTNEXTLINE(bugprone-not-null-terminated-result)
    std::memcpy(buffer, body.data() + st->body_offset, n);
    st->body_offset += n;
    st->sent += static_cast<int64_t>(n);
    return n;
  } catch (...) {
    st->parked = Internal("reading request body failed");
    return CURL_READFUNC_ABORT;
  }
}

class CurlTransport : public HttpTransport {
 public:
  explicit CurlTransport(HttpTransportOptions options) : options_(std::move(options)) {
    if (auto api = http::LoadCurl(); api) {
      api_ = *api;
    } else {
      load_error_ = std::move(api).error();
    }
    ssl_cert_file_ = env::GetOr("SSL_CERT_FILE", "");
  }

  ~CurlTransport() override {
    if (api_ != nullptr) {
      for (CURL* h : pool_) api_->easy_cleanup(h);
    }
  }

  HttpResult RoundTrip(const HttpRequest& request) override {
    if (api_ == nullptr) {
      Error error = *load_error_;
      return error.With(fmt::format("{} {}", request.method, RedactUrl(request.url)));
    }
    CurlPtr handle(Acquire(), api_->easy_cleanup);
    if (!handle) return Internal("curl_easy_init failed");
    auto start = std::chrono::steady_clock::now();
    HttpResponse response;
    HttpResult result = Perform(handle.get(), request, response);
    if (options_.log) {
      auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::steady_clock::now() - start)
                    .count();
      options_.log(fmt::format("{} {} -> {} ({} ms)", request.method, RedactUrl(request.url),
                               result ? std::to_string(response.status) : result.error().message(),
                               ms));
    }
    Release(std::move(handle));
    return result;
  }

 private:
  CURL* Acquire() {
    {
      std::lock_guard<std::mutex> lock(mu_);
      if (!pool_.empty()) {
        CURL* h = pool_.back();
        pool_.pop_back();
        api_->easy_reset(h);
        return h;
      }
    }
    return api_->easy_init();
  }

  void Release(CurlPtr handle) {
    std::lock_guard<std::mutex> lock(mu_);
    if (pool_.size() < 16) {
      pool_.push_back(handle.release());
    }
  }

  // The CA bundle and client certificate for `host` (HOST[:PORT]), from
  // --ca-file and the certs.d directories; read once per host.
  Result<const TlsConfig*> TlsFor(const std::string& host) {
    std::lock_guard<std::mutex> lock(mu_);
    auto it = tls_.find(host);
    if (it != tls_.end()) return &it->second;
    TlsConfig cfg;
    std::string extra;
    std::string pem;
    if (!options_.ca_file.empty()) {
      if (!ReadWholeFile(options_.ca_file, &pem)) {
        return InvalidArgument(
            fmt::format("TLS setup for {}: cannot read CA file {}", host, options_.ca_file));
      }
      extra += pem + "\n";
    }
    for (const std::string& dir : options_.cert_dirs) {
      OCIB_RETURN_IF_ERROR(ReadCertDir(host, dir + "/" + host, cfg, extra));
    }
    if (!extra.empty()) {
      std::string base;
      if (!ssl_cert_file_.empty()) {
        ReadWholeFile(ssl_cert_file_, &base);
      } else {
        curl_version_info_data* info = api_->version_info(CURLVERSION_NOW);
        if (info->cainfo != nullptr) ReadWholeFile(info->cainfo, &base);
        if (base.empty()) ReadWholeFile("/etc/ssl/certs/ca-certificates.crt", &base);
      }
      cfg.ca_blob = base + "\n" + extra;
    }
    return &tls_.emplace(host, std::move(cfg)).first->second;
  }

  Error ClientCertError(const std::string& host, const std::string& detail) const {
    return {ErrorCode::kUnauthenticated,
            fmt::format("TLS client certificate required by {}, none configured: {} (put "
                        "client.cert and client.key in {}/)",
                        host, detail, CertDirHint(host))};
  }

  Error ClientCertRejected(const std::string& host, const std::string& detail) const {
    return {ErrorCode::kUnauthenticated,
            fmt::format("TLS client certificate rejected by {}: {} (from {}/)", host, detail,
                        CertDirHint(host))};
  }

  // Where a CA for `host` may be put, for error messages.
  std::string CertDirHint(const std::string& host) const {
    std::string dir = options_.cert_dirs.empty() ? "/etc/docker/certs.d" : options_.cert_dirs[0];
    return dir + "/" + host;
  }

  HttpResult Perform(CURL* h, const HttpRequest& request, HttpResponse& response) {
    CallState st;
    st.request = &request;
    st.response = &response;
    if (request.body_source) {
      auto reader = request.body_source();
      if (!reader) return std::move(reader).error();
      st.body_reader = std::move(*reader);
    }
    char errbuf[CURL_ERROR_SIZE] = {0};
    api_->easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
    SetCommonOptions(h, request, st);
    std::string host = http::UrlHost(request.url);
    if (request.url.rfind("https://", 0) == 0) {
      if (Status tls = SetTlsOptions(h, request, host, st); !tls) return std::move(tls).error();
    }
    curl_slist* raw = nullptr;
    for (const HttpHeader& hd : request.headers) {
      std::string line = hd.name + ": " + hd.value;
      raw = api_->slist_append(raw, line.c_str());
    }
    raw = api_->slist_append(raw, "Expect:");
    SlistPtr headers(raw, api_->slist_free_all);
    api_->easy_setopt(h, CURLOPT_HTTPHEADER, headers.get());
    SetMethod(h, request, st);

    current_call = &st;
    CURLcode rc = api_->easy_perform(h);
    current_call = nullptr;
    api_->easy_setopt(h, CURLOPT_ERRORBUFFER, nullptr);
    api_->easy_setopt(h, CURLOPT_HTTPHEADER, nullptr);
    api_->easy_setopt(h, CURLOPT_CAINFO_BLOB, nullptr);
    if (rc == CURLE_OK || (rc == CURLE_WRITE_ERROR && st.truncated)) {
      long code = 0;  // NOLINT(google-runtime-int): curl writes a long
      api_->easy_getinfo(h, CURLINFO_RESPONSE_CODE, &code);
      response.status = static_cast<int>(code);
      return std::move(response);
    }
    std::string detail = errbuf[0] != '\0' ? std::string(errbuf) : api_->easy_strerror(rc);
    return Failure(h, rc, request, st, detail);
  }

  void SetCommonOptions(CURL* h, const HttpRequest& request, CallState& st) {
    api_->easy_setopt(h, CURLOPT_URL, request.url.c_str());
    api_->easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    // curl takes long for its numeric options.
    api_->easy_setopt(h, CURLOPT_HTTP_VERSION,
                      static_cast<long>(CURL_HTTP_VERSION_2TLS));  // NOLINT(google-runtime-int)
    api_->easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    api_->easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    api_->easy_setopt(h, CURLOPT_USERAGENT, options_.user_agent.c_str());
    api_->easy_setopt(h, CURLOPT_CONNECTTIMEOUT, options_.connect_timeout_seconds);
    // NOLINTBEGIN(google-runtime-int): curl's type
    long stall = request.stall_timeout.count() > 0 ? request.stall_timeout.count()
                                                   : options_.stall_timeout_seconds;
    long total = request.total_timeout.count() > 0 ? request.total_timeout.count()
                                                   : options_.total_timeout_seconds;
    // NOLINTEND(google-runtime-int)
    if (stall > 0) {
      api_->easy_setopt(h, CURLOPT_LOW_SPEED_LIMIT, kLowSpeedBytes);
      api_->easy_setopt(h, CURLOPT_LOW_SPEED_TIME, stall);
    }
    if (total > 0) api_->easy_setopt(h, CURLOPT_TIMEOUT, total);
    api_->easy_setopt(h, CURLOPT_HEADERFUNCTION, &HeaderCallback);
    api_->easy_setopt(h, CURLOPT_HEADERDATA, &st);
    api_->easy_setopt(h, CURLOPT_WRITEFUNCTION, &WriteCallback);
    api_->easy_setopt(h, CURLOPT_WRITEDATA, &st);
    api_->easy_setopt(h, CURLOPT_ACCEPT_ENCODING, nullptr);
  }

  Status SetTlsOptions(CURL* h, const HttpRequest& request, const std::string& host,
                       CallState& st) {
    if (!request.verify_tls) {
      api_->easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 0L);
      api_->easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 0L);
      return OkStatus();
    }
    OCIB_ASSIGN_OR_RETURN(const TlsConfig* tls, TlsFor(host));
    if (!tls->ca_blob.empty()) {
      curl_blob blob{};
      blob.data = const_cast<char*>(tls->ca_blob.data());
      blob.len = tls->ca_blob.size();
      blob.flags = CURL_BLOB_NOCOPY;
      api_->easy_setopt(h, CURLOPT_CAINFO, nullptr);
      api_->easy_setopt(h, CURLOPT_CAPATH, nullptr);
      api_->easy_setopt(h, CURLOPT_CAINFO_BLOB, &blob);
    } else if (!ssl_cert_file_.empty()) {
      api_->easy_setopt(h, CURLOPT_CAINFO, ssl_cert_file_.c_str());
    }
    if (!tls->client_cert.empty()) {
      api_->easy_setopt(h, CURLOPT_SSLCERT, tls->client_cert.c_str());
      api_->easy_setopt(h, CURLOPT_SSLKEY, tls->client_key.c_str());
      st.client_cert_set = true;
    } else {
      api_->easy_setopt(h, CURLOPT_SSL_CTX_FUNCTION, &SslCtxCallback);
    }
    return OkStatus();
  }

  void SetMethod(CURL* h, const HttpRequest& request, CallState& st) {
    bool has_body = request.body_source || !request.body.empty();
    if (request.method == "HEAD") {
      api_->easy_setopt(h, CURLOPT_NOBODY, 1L);
    } else if (request.method == "GET") {
      api_->easy_setopt(h, CURLOPT_HTTPGET, 1L);
    } else if (has_body || request.method == "PUT" || request.method == "POST" ||
               request.method == "PATCH") {
      curl_off_t size = request.body_source ? static_cast<curl_off_t>(request.body_size)
                                            : static_cast<curl_off_t>(request.body.size());
      api_->easy_setopt(h, CURLOPT_UPLOAD, 1L);
      api_->easy_setopt(h, CURLOPT_READFUNCTION, &ReadCallback);
      api_->easy_setopt(h, CURLOPT_READDATA, &st);
      api_->easy_setopt(h, CURLOPT_INFILESIZE_LARGE, size);
      api_->easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    } else {
      api_->easy_setopt(h, CURLOPT_CUSTOMREQUEST, request.method.c_str());
    }
  }

  // The failure of a transfer that ended with `rc`, with its kind.
  HttpResult Failure(CURL* h, CURLcode rc, const HttpRequest& request, const CallState& st,
                     const std::string& detail) {
    std::string what = fmt::format("{} {}", request.method, RedactUrl(request.url));
    std::string host = http::UrlHost(request.url);
    if (st.too_large) {
      std::string got =
          st.announced >= 0 ? fmt::format("announces {} bytes", st.announced) : "sent more";
      return {TransportFailure::kTooLarge,
              InvalidArgument(fmt::format("{}: response too large: {} (at most {} accepted)", what,
                                          got, request.max_body_bytes))};
    }
    if (st.parked) return {TransportFailure::kLocal, *st.parked};
    auto unavailable = [&](TransportFailure kind, std::string_view label) {
      return HttpResult(
          kind, Error(ErrorCode::kUnavailable, fmt::format("{}: {}: {}", label, what, detail)));
    };
    switch (rc) {
      case CURLE_PEER_FAILED_VERIFICATION:
      case CURLE_SSL_CACERT_BADFILE:
      case CURLE_SSL_CERTPROBLEM:
        return {TransportFailure::kTlsCertificate,
                Error(ErrorCode::kUnavailable,
                      fmt::format("TLS certificate of {} not trusted: {} (trust its CA with a "
                                  "CA file, SSL_CERT_FILE or {}/ca.crt, or treat {} as an "
                                  "insecure registry)",
                                  host, detail, CertDirHint(host), host))};
      case CURLE_SSL_CONNECT_ERROR:
        if (st.client_cert_requested)
          return {TransportFailure::kTlsClientCert, ClientCertError(host, detail)};
        if (st.client_cert_set && IsClientCertAlert(detail)) {
          return {TransportFailure::kTlsClientCert, ClientCertRejected(host, detail)};
        }
        return {TransportFailure::kTlsHandshake,
                Error(ErrorCode::kUnavailable,
                      fmt::format("TLS handshake with {} failed: {}", host, detail))};
      case CURLE_SEND_ERROR:
      case CURLE_RECV_ERROR:
      case CURLE_GOT_NOTHING:
        if (std::optional<Error> cert = ClientCertFailure(h, st, host, detail)) {
          return {TransportFailure::kTlsClientCert, std::move(*cert)};
        }
        return unavailable(TransportFailure::kReset, "connection lost");
      case CURLE_COULDNT_RESOLVE_HOST:
      case CURLE_COULDNT_RESOLVE_PROXY:
        return unavailable(TransportFailure::kDns, "host not found");
      case CURLE_COULDNT_CONNECT:
        return unavailable(TransportFailure::kConnect, "cannot connect");
      case CURLE_OPERATION_TIMEDOUT:
        return unavailable(TransportFailure::kTimeout, "timed out");
      case CURLE_WEIRD_SERVER_REPLY:
      case CURLE_UNSUPPORTED_PROTOCOL:
        return unavailable(TransportFailure::kProtocol, "not an HTTP answer");
      default:
        return unavailable(TransportFailure::kReset, "network");
    }
  }

  // A send or receive failure that is really about the client certificate.
  std::optional<Error> ClientCertFailure(CURL* h, const CallState& st, const std::string& host,
                                         const std::string& detail) {
    // With TLS 1.3 a server that wanted a certificate aborts after the
    // handshake: an alert, or a connection reset before any byte of the
    // exchange. (A server that only asks for one, optionally, and drops
    // a connection later is a network failure.)
    if (st.client_cert_requested &&
        (IsClientCertAlert(detail) || (st.sent == 0 && st.response->status == 0))) {
      return ClientCertError(host, detail);
    }
    // Likewise a server that rejects the certificate we sent: the reset
    // comes on the new connection, before any byte of the exchange. (A
    // reused connection that drops is a network failure.)
    if (st.client_cert_set) {
      long connects = 0;  // NOLINT(google-runtime-int): curl's type
      api_->easy_getinfo(h, CURLINFO_NUM_CONNECTS, &connects);
      if (IsClientCertAlert(detail) || (connects > 0 && st.sent == 0 && st.response->status == 0)) {
        return ClientCertRejected(host, detail);
      }
    }
    return std::nullopt;
  }

  HttpTransportOptions options_;
  const http::CurlApi* api_ = nullptr;  // null when libcurl could not be loaded
  std::optional<Error> load_error_;
  std::string ssl_cert_file_;
  std::mutex mu_;
  std::vector<CURL*> pool_;
  std::map<std::string, TlsConfig> tls_;
};

bool IsSecretQueryKey(std::string_view key) {
  static constexpr std::array<std::string_view, 8> kWords = {
      "token", "secret", "password", "sig", "credential", "state", "auth", "key"};
  const std::string k = LowerAscii(key);
  return std::ranges::any_of(
      kWords, [&](std::string_view word) { return k.find(word) != std::string::npos; });
}

}  // namespace

std::string HttpResponse::Header(std::string_view name) const {
  std::string lower = LowerAscii(name);
  for (const HttpHeader& h : headers) {
    if (h.name == lower) return h.value;
  }
  return "";
}

std::vector<std::string> HttpResponse::HeaderValues(std::string_view name) const {
  std::string lower = LowerAscii(name);
  std::vector<std::string> out;
  for (const HttpHeader& h : headers) {
    if (h.name == lower) out.push_back(h.value);
  }
  return out;
}

std::vector<std::string> DefaultCertDirs() {
  const std::optional<std::string> listed = env::Get("OCIB_CERTS_D_DIRS");
  if (!listed) {
    std::vector<std::string> dirs;
    const std::string xdg = env::GetOr("XDG_CONFIG_HOME", "");
    const std::string home = env::GetOr("HOME", "");
    if (xdg.starts_with('/')) {
      dirs.push_back(xdg + "/containers/certs.d");
    } else if (home.starts_with('/')) {
      dirs.push_back(home + "/.config/containers/certs.d");
    }
    dirs.emplace_back("/etc/containers/certs.d");
    dirs.emplace_back("/etc/docker/certs.d");
    return dirs;
  }
  std::vector<std::string> out;
  std::string_view rest(*listed);
  while (!rest.empty()) {
    size_t colon = rest.find(':');
    std::string_view item = rest.substr(0, colon);
    if (!item.empty()) out.emplace_back(item);
    rest = colon == std::string_view::npos ? std::string_view() : rest.substr(colon + 1);
  }
  return out;
}

std::unique_ptr<HttpTransport> MakeCurlTransport(HttpTransportOptions options) {
  return std::make_unique<CurlTransport>(std::move(options));
}

std::string RedactUrl(std::string_view url) {
  std::string out;
  size_t scheme = url.find("://");
  size_t host_start = scheme == std::string_view::npos ? 0 : scheme + 3;
  size_t path_start = url.find_first_of("/?#", host_start);
  std::string_view authority =
      url.substr(host_start, path_start == std::string_view::npos ? std::string_view::npos
                                                                  : path_start - host_start);
  size_t at = authority.rfind('@');
  out += url.substr(0, host_start);
  out += at == std::string_view::npos ? authority : authority.substr(at + 1);
  if (path_start == std::string_view::npos) return out;
  std::string_view rest = url.substr(path_start);
  size_t q = rest.find('?');
  if (q == std::string_view::npos) return out + std::string(rest);
  out += rest.substr(0, q + 1);
  std::string_view query = rest.substr(q + 1);
  bool first = true;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view() : query.substr(amp + 1);
    if (!first) out += "&";
    first = false;
    size_t eq = param.find('=');
    if (eq != std::string_view::npos && IsSecretQueryKey(param.substr(0, eq))) {
      out += param.substr(0, eq);
      out += "=REDACTED";
    } else {
      out += param;
    }
  }
  return out;
}

std::string_view TransportFailureName(TransportFailure kind) {
  switch (kind) {
    case TransportFailure::kNone:
      return "none";
    case TransportFailure::kDns:
      return "dns";
    case TransportFailure::kConnect:
      return "connect";
    case TransportFailure::kTlsHandshake:
      return "tls handshake";
    case TransportFailure::kTlsCertificate:
      return "tls certificate";
    case TransportFailure::kTlsClientCert:
      return "tls client certificate";
    case TransportFailure::kTimeout:
      return "timeout";
    case TransportFailure::kReset:
      return "reset";
    case TransportFailure::kProtocol:
      return "protocol";
    case TransportFailure::kTooLarge:
      return "too large";
    case TransportFailure::kLocal:
      return "local";
  }
  return "unknown";
}

bool IsRetryableTransportFailure(TransportFailure kind) {
  return kind == TransportFailure::kConnect || kind == TransportFailure::kTimeout ||
         kind == TransportFailure::kReset || kind == TransportFailure::kProtocol;
}

}  // namespace ocib
