// RegistryClient: scheme selection, auth (Basic, Bearer with a per-scope
// token cache), redirects without credential leaks, retries, and the blob
// and manifest operations of the distribution API.
#include <algorithm>
#include <atomic>
#include <cctype>
#include <cmath>
#include <ctime>
#include <mutex>
#include <random>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/registry.h"

#include "lib/auth/base64.h"
#include "lib/http/url.h"
#include "lib/registry/challenge.h"

namespace ocib {
namespace {

using nlohmann::json;
using Clock = std::chrono::steady_clock;

const char* const kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

// The URL's host, lower-cased (host names compare case-insensitively).
std::string HostOfUrl(std::string_view url) {
  std::string out = http::UrlHost(url);
  for (char& c : out) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return out;
}

std::string SchemeAndHost(std::string_view url) {
  size_t start = url.find("://");
  if (start == std::string_view::npos) return "";
  size_t end = url.find_first_of("/?#", start + 3);
  return std::string(url.substr(0, end));
}

// Resolves a Location header against the request URL (RFC 3986 §5.2, the
// cases registries use).
std::string ResolveLocation(const std::string& base, const std::string& loc) {
  if (loc.rfind("http://", 0) == 0 || loc.rfind("https://", 0) == 0) return loc;
  if (loc.rfind("//", 0) == 0) return base.substr(0, base.find("://") + 1) + loc;
  if (!loc.empty() && loc[0] == '/') return SchemeAndHost(base) + loc;
  std::string dir = base.substr(0, base.find('?'));
  dir = dir.substr(0, dir.rfind('/') + 1);
  return dir + loc;
}

std::string UrlEncode(std::string_view s) {
  static const char* hex = "0123456789ABCDEF";
  std::string out;
  for (char ch : s) {
    auto c = static_cast<unsigned char>(ch);
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
        c == '_' || c == '.' || c == '~' || c == '/') {
      out += ch;
    } else {
      out += '%';
      out += hex[c >> 4];
      out += hex[c & 15];
    }
  }
  return out;
}

std::string WithQuery(const std::string& url, const std::string& param) {
  return url + (url.find('?') == std::string::npos ? "?" : "&") + param;
}

bool IsLoopback(const std::string& host_port) {
  std::string host = host_port;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
    return host == "[::1]";
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

std::string StripParams(const std::string& content_type) {
  std::string s = content_type.substr(0, content_type.find(';'));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

// "401 UNAUTHORIZED: authentication required" from a distribution error
// body, or the first line of any other body.
std::string DescribeBody(const HttpResponse& r) {
  std::string out;
  json j = json::parse(r.body, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("errors") && j["errors"].is_array()) {
    for (const json& e : j["errors"]) {
      if (!e.is_object()) continue;
      if (!out.empty()) out += "; ";
      if (e.contains("code") && e["code"].is_string()) out += e["code"].get<std::string>();
      if (e.contains("message") && e["message"].is_string()) {
        out += ": " + e["message"].get<std::string>();
      }
    }
    if (!out.empty()) return out;
  }
  std::string body = r.body.substr(0, 200);
  body = body.substr(0, body.find('\n'));
  for (char& c : body) {
    if (static_cast<unsigned char>(c) < 0x20) c = ' ';
  }
  return body;
}

bool BodyHasCode(const HttpResponse& r, std::string_view code) {
  json j = json::parse(r.body, nullptr, false);
  if (j.is_discarded() || !j.is_object() || !j.contains("errors") || !j["errors"].is_array()) {
    return false;
  }
  return std::ranges::any_of(j["errors"], [&](const json& e) {
    return e.is_object() && e.contains("code") && e["code"] == code;
  });
}

ErrorCode CodeForStatus(int status) {
  if (status == 401) return ErrorCode::kUnauthenticated;
  if (status == 403) return ErrorCode::kPermissionDenied;
  if (status == 404) return ErrorCode::kNotFound;
  if (IsRetryableStatus(status)) return ErrorCode::kUnavailable;
  return ErrorCode::kInternal;
}

// Counts and hashes what passes into `next`, failing as soon as more than
// `limit` bytes arrive.
class VerifyingWriter : public Writer {
 public:
  VerifyingWriter(Writer* next, int64_t limit) : next_(next), limit_(limit) {}
  Status Write(const void* data, size_t size) override {
    count_ += static_cast<int64_t>(size);
    if (count_ > limit_) {
      return DataLoss("received more than the expected " + std::to_string(limit_) + " bytes");
    }
    hasher_.Update(data, size);
    return next_->Write(data, size);
  }
  Status Close() override { return OkStatus(); }
  int64_t count() const { return count_; }
  Digest Finish() { return hasher_.Finish(); }

 private:
  Writer* next_;
  int64_t limit_;
  int64_t count_ = 0;
  Sha256Hasher hasher_;
};

struct Token {
  std::string value;
  Clock::time_point expiry;
};

}  // namespace

bool IsRetryableStatus(int status) {
  return status == 408 || status == 429 ||
         (status >= 500 && status <= 599 && status != 501 && status != 505);
}

std::chrono::milliseconds RetryPolicy::Backoff(int attempt, double random01) const {
  auto cap = static_cast<double>(max_backoff.count());
  double base = static_cast<double>(initial_backoff.count()) *
                std::pow(2.0, static_cast<double>(std::max(0, attempt - 1)));
  double ceiling = std::min(cap, base);
  return std::chrono::milliseconds(static_cast<int64_t>(ceiling * random01));
}

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  std::string v(value);
  while (!v.empty() && v.back() == ' ') v.pop_back();
  while (!v.empty() && v.front() == ' ') v.erase(v.begin());
  if (v.empty()) return std::nullopt;
  if (std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; })) {
    if (v.size() > 9) return std::chrono::milliseconds(int64_t{999999999} * 1000);
    return std::chrono::milliseconds(std::stoll(v) * 1000);
  }
  std::tm tm{};
  const char* end = strptime(v.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm);
  if (end == nullptr || *end != '\0') return std::nullopt;
  time_t t = timegm(&tm);
  auto when = std::chrono::system_clock::from_time_t(t);
  if (when <= now) return std::chrono::milliseconds(0);
  return std::chrono::duration_cast<std::chrono::milliseconds>(when - now);
}

class RegistryClient::Impl {
 public:
  Impl(std::string registry, RegistryOptions options)
      : registry_(std::move(registry)), options_(std::move(options)) {
    host_ = registry_;
    if (host_ == "docker.io" || host_ == "index.docker.io") host_ = "registry-1.docker.io";
    for (const std::string& h : options_.insecure_registries) {
      if (h == registry_ || h == host_ || h == host_.substr(0, host_.rfind(':'))) insecure_ = true;
    }
    if (options_.log) {
      // Requests run on several threads; the callback gets one line at a time.
      options_.log = [log = options_.log,
                      mu = std::make_shared<std::mutex>()](std::string_view line) {
        std::lock_guard<std::mutex> lock(*mu);
        log(line);
      };
    }
    if (!options_.transport) {
      HttpTransportOptions t;
      t.ca_file = options_.ca_file;
      t.cert_dirs = options_.cert_dirs;
      t.log = options_.log;
      options_.transport = MakeCurlTransport(std::move(t));
    }
    if (!options_.keychain) options_.keychain = MakeDefaultKeychain();
  }

  // One request description, sent through Send().
  struct Call {
    std::string method = "GET";
    std::string url;  // absolute
    std::vector<HttpHeader> headers;
    std::string body;
    std::function<Result<std::unique_ptr<Reader>>()> body_source;
    int64_t body_size = -1;
    Writer* sink = nullptr;
    std::function<void(const HttpResponse&)> on_response_start;
    // Whether Send may replay the request on a retryable failure.
    bool retry = true;
  };

  void Log(const std::string& line) const {
    if (options_.log) options_.log(line);
  }

  void Sleep(std::chrono::milliseconds d) const {
    if (options_.sleep) {
      options_.sleep(d);
    } else {
      std::this_thread::sleep_for(d);
    }
  }

  double Random01() {
    std::lock_guard<std::mutex> lock(mu_);
    return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
  }

  void Count(const std::string& method) {
    std::lock_guard<std::mutex> lock(mu_);
    ++counts_[method];
  }

  // Decides the scheme and learns the auth challenge (once).
  Status Ping() {
    std::lock_guard<std::mutex> lock(ping_mu_);
    if (pinged_) return OkStatus();
    std::string https = "https://" + host_ + "/v2/";
    HttpRequest req;
    req.method = "HEAD";
    req.url = https;
    Result<HttpResponse> r = Error(ErrorCode::kInternal, "not sent");
    bool plain = false;
    if (IsLoopback(host_) && !insecure_) {
      // A loopback registry may speak plain HTTP. Ask it in plain HTTP first
      // (no credentials; a TLS server answers 400 "client sent an HTTP
      // request to an HTTPS server" or drops the connection): this saves a
      // failed TLS handshake and loading the CA bundle for test registries.
      // A TLS peer is then used with full verification.
      HttpRequest probe = req;
      probe.url = "http://" + host_ + "/v2/";
      Count("HEAD");
      auto pr = options_.transport->RoundTrip(probe);
      if (pr && pr->status != 400 && pr->status < 500) {
        r = std::move(pr);
        req = probe;
        plain = true;
      }
    }
    if (!plain) {
      req.verify_tls = !insecure_;
      Count("HEAD");
      r = options_.transport->RoundTrip(req);
      for (int attempt = 1;
           !r && IsRetryableTransportError(r.error()) && attempt < options_.retry.max_attempts;
           ++attempt) {
        Sleep(options_.retry.Backoff(attempt, Random01()));
        Count("HEAD");
        r = options_.transport->RoundTrip(req);
      }
      if (!r && (insecure_ || IsLoopback(host_)) &&
          (IsTlsHandshakeError(r.error()) || (insecure_ && IsRetryableTransportError(r.error())))) {
        Log("ping " + host_ + ": " + r.error().message() + "; trying plain HTTP");
        req.url = "http://" + host_ + "/v2/";
        Count("HEAD");
        r = options_.transport->RoundTrip(req);
      }
    }
    if (!r) return std::move(r).error().With("connecting to registry " + registry_);
    base_ = SchemeAndHost(req.url);
    if (r->status == 401) {
      AuthState auth;
      for (const registry::Challenge& c :
           registry::ParseChallenges(r->HeaderValues("www-authenticate"))) {
        if (c.scheme == "bearer" && !c.Param("realm").empty()) {
          auth = {"bearer", c.Param("realm"), c.Param("service")};
          break;
        }
        if (c.scheme == "basic" && auth.scheme.empty()) auth.scheme = "basic";
      }
      SetAuth(std::move(auth));
    }
    pinged_ = true;
    return OkStatus();
  }

  // The auth scheme in force: learnt from /v2/, or later from a 401.
  struct AuthState {
    std::string scheme;  // "", "basic" or "bearer"
    std::string realm;   // bearer only
    std::string service;
  };

  AuthState Auth() {
    std::lock_guard<std::mutex> lock(auth_mu_);
    return auth_;
  }

  void SetAuth(AuthState auth) {
    bool realm_changed;
    {
      std::lock_guard<std::mutex> lock(auth_mu_);
      realm_changed = auth.realm != auth_.realm || auth.service != auth_.service;
      auth_ = std::move(auth);
    }
    if (realm_changed) {
      std::lock_guard<std::mutex> lock(token_mu_);
      tokens_.clear();
    }
  }

  // After a 401 answer `r`: whether one retry with new credentials may help.
  // A challenge that /v2/ did not show (a registry answering /v2/ anonymously
  // but challenging on repositories, or naming another realm) is learnt here
  // and used from now on. Challenges from other hosts (redirect targets) are
  // ignored. A bearer challenge's `scope` is added to `scopes`.
  bool AnswerChallenge(const HttpResponse& r, std::vector<std::string>& scopes) {
    std::string url = r.Header("x-ocib-final-url");
    AuthState current = Auth();
    if (HostOfUrl(url) != HostOfUrl(base_)) return current.scheme == "bearer";
    const std::vector<registry::Challenge> challenges =
        registry::ParseChallenges(r.HeaderValues("www-authenticate"));
    const registry::Challenge* bearer = nullptr;
    const registry::Challenge* basic = nullptr;
    for (const registry::Challenge& c : challenges) {
      if (c.scheme == "bearer" && !c.Param("realm").empty() && bearer == nullptr) bearer = &c;
      if (c.scheme == "basic" && basic == nullptr) basic = &c;
    }
    if (bearer != nullptr) {
      std::string scope_list = bearer->Param("scope");
      size_t pos = 0;
      while (pos < scope_list.size()) {
        size_t end = scope_list.find(' ', pos);
        if (end == std::string::npos) end = scope_list.size();
        std::string scope = scope_list.substr(pos, end - pos);
        if (!scope.empty() && std::find(scopes.begin(), scopes.end(), scope) == scopes.end()) {
          scopes.push_back(scope);
        }
        pos = end + 1;
      }
      AuthState learnt{"bearer", bearer->Param("realm"), bearer->Param("service")};
      if (current.scheme != "bearer" || current.realm != learnt.realm ||
          current.service != learnt.service) {
        Log("401 from " + RedactUrl(url) + ": bearer challenge (realm " + RedactUrl(learnt.realm) +
            ") not announced by /v2/; using it");
        SetAuth(std::move(learnt));
      }
      return true;
    }
    // An expired or revoked token: refresh once.
    if (current.scheme == "bearer") return true;
    if (basic != nullptr && current.scheme.empty()) {
      Log("401 from " + RedactUrl(url) + ": basic challenge not announced by /v2/; using it");
      SetAuth({"basic", "", ""});
      auto cred = GetCredential();
      return cred && !cred->username.empty();
    }
    return false;
  }

  Result<Credential> GetCredential() {
    std::lock_guard<std::mutex> lock(cred_mu_);
    if (!credential_) {
      auto c = options_.keychain->Resolve(registry_);
      if (!c) return std::move(c).error().With("looking up credentials for " + registry_);
      credential_ = *c;
    }
    return *credential_;
  }

  std::vector<std::string> ScopesFor(const std::string& repo, bool push) {
    std::lock_guard<std::mutex> lock(mu_);
    std::vector<std::string> scopes;
    for (const std::string& r : push_repos_) scopes.push_back("repository:" + r + ":pull,push");
    std::string mine = "repository:" + repo + (push ? ":pull,push" : ":pull");
    if (std::find(push_repos_.begin(), push_repos_.end(), repo) == push_repos_.end() &&
        std::find(scopes.begin(), scopes.end(), mine) == scopes.end()) {
      scopes.insert(scopes.begin(), mine);
    }
    for (const std::string& r : pull_repos_) {
      std::string s = "repository:" + r + ":pull";
      if (r != repo && std::find(push_repos_.begin(), push_repos_.end(), r) == push_repos_.end() &&
          std::find(scopes.begin(), scopes.end(), s) == scopes.end()) {
        scopes.push_back(s);
      }
    }
    return scopes;
  }

  static std::string ScopeKey(const std::vector<std::string>& scopes) {
    std::string k;
    for (const std::string& s : scopes) k += s + " ";
    return k;
  }

  // Fetches a bearer token for `scopes` from `auth`'s realm (under token_mu_).
  Result<Token> FetchToken(const AuthState& auth, const std::vector<std::string>& scopes) {
    const std::string& realm = auth.realm;
    const std::string& service = auth.service;
    OCIB_ASSIGN_OR_RETURN(Credential cred, GetCredential());
    if (!cred.registry_token.empty()) {
      return Token{cred.registry_token, Clock::now() + std::chrono::hours(24)};
    }
    HttpRequest req;
    std::string query;
    if (!service.empty()) query += "service=" + UrlEncode(service);
    for (const std::string& s : scopes)
      query += (query.empty() ? "" : "&") + ("scope=" + UrlEncode(s));
    std::string realm_host = HostOfUrl(realm);
    bool realm_insecure = false;
    for (const std::string& h : options_.insecure_registries) realm_insecure |= (h == realm_host);
    req.verify_tls = !realm_insecure;
    if (!cred.identity_token.empty()) {
      req.method = "POST";
      req.url = realm;
      req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
      std::string scope_list;
      for (const std::string& s : scopes) scope_list += (scope_list.empty() ? "" : " ") + s;
      req.body = "grant_type=refresh_token&client_id=ocib&service=" + UrlEncode(service) +
                 "&scope=" + UrlEncode(scope_list) +
                 "&refresh_token=" + UrlEncode(cred.identity_token);
    } else {
      req.method = "GET";
      req.url = query.empty() ? realm : WithQuery(realm, query);
      if (!cred.username.empty()) {
        req.headers.push_back(
            {"Authorization", "Basic " + Base64Encode(cred.username + ":" + cred.password)});
      }
    }
    std::string what = "fetching token from " + RedactUrl(realm) + " for " + registry_;
    Result<HttpResponse> r = Error(ErrorCode::kInternal, "unreachable");
    for (int attempt = 0; attempt < options_.retry.max_attempts; ++attempt) {
      if (attempt > 0) Sleep(options_.retry.Backoff(attempt, Random01()));
      Count("TOKEN");
      r = options_.transport->RoundTrip(req);
      if (r && !IsRetryableStatus(r->status)) break;
      if (!r && !IsRetryableTransportError(r.error())) break;
    }
    if (!r) return std::move(r).error().With(what);
    if (r->status == 401 || r->status == 403) {
      return Error(ErrorCode::kUnauthenticated,
                   what + ": " + std::to_string(r->status) + ": " + DescribeBody(*r) +
                       (cred.empty() ? " (no credentials for " + registry_ + "; run ocib login " +
                                           registry_ + ")"
                                     : " (credentials for " + registry_ + " rejected)"));
    }
    if (r->status != 200) {
      return Error(CodeForStatus(r->status),
                   what + ": " + std::to_string(r->status) + ": " + DescribeBody(*r));
    }
    json j = json::parse(r->body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) {
      return Error(ErrorCode::kUnavailable, what + ": the token server answered no JSON object");
    }
    std::string token;
    if (j.contains("token") && j["token"].is_string()) token = j["token"].get<std::string>();
    if (token.empty() && j.contains("access_token") && j["access_token"].is_string()) {
      token = j["access_token"].get<std::string>();
    }
    if (token.empty()) return Error(ErrorCode::kUnavailable, what + ": the answer has no token");
    int64_t expires_in = 60;
    if (j.contains("expires_in") && j["expires_in"].is_number()) {
      expires_in = std::max<int64_t>(60, j["expires_in"].get<int64_t>());
    }
    return Token{token, Clock::now() + std::chrono::seconds(expires_in - 5)};
  }

  // The Authorization header value for a request needing `scopes`.
  Result<std::string> AuthorizationFor(const std::vector<std::string>& scopes, bool refresh) {
    AuthState auth = Auth();
    if (auth.scheme == "basic") {
      OCIB_ASSIGN_OR_RETURN(Credential cred, GetCredential());
      if (cred.username.empty()) return std::string();
      return "Basic " + Base64Encode(cred.username + ":" + cred.password);
    }
    if (auth.scheme != "bearer") return std::string();
    std::lock_guard<std::mutex> lock(token_mu_);
    std::string key = ScopeKey(scopes);
    auto it = tokens_.find(key);
    if (!refresh && it != tokens_.end() && it->second.expiry > Clock::now()) {
      return "Bearer " + it->second.value;
    }
    OCIB_ASSIGN_OR_RETURN(Token t, FetchToken(auth, scopes));
    tokens_[key] = t;
    return "Bearer " + t.value;
  }

  Error HttpError(const Call& call, const HttpResponse& r) {
    std::string msg = call.method + " " + RedactUrl(call.url) + ": " + std::to_string(r.status);
    std::string body = DescribeBody(r);
    if (!body.empty()) msg += ": " + body;
    if (r.status == 401) {
      auto cred = GetCredential();
      bool none = cred && cred->empty();
      msg += none ? " (no credentials for " + registry_ + "; run ocib login " + registry_ + ")"
                  : " (credentials for " + registry_ + " rejected)";
    }
    return {CodeForStatus(r.status), msg};
  }

  // Sends `call` with auth, redirects, the one-time token refresh and
  // retries. Any HTTP status is returned; only transport failures (after
  // retries) are errors.
  Result<HttpResponse> Send(Call& call, const std::vector<std::string>& scopes_in) {
    OCIB_RETURN_IF_ERROR(Ping());
    std::vector<std::string> scopes = scopes_in;
    auto start = Clock::now();
    bool refreshed = false;
    bool need_refresh = false;
    for (int attempt = 1;; ++attempt) {
      OCIB_ASSIGN_OR_RETURN(std::string authz, AuthorizationFor(scopes, need_refresh));
      need_refresh = false;
      auto r = SendFollowingRedirects(call, authz);
      bool retryable = false;
      std::optional<std::chrono::milliseconds> retry_after;
      if (r) {
        if (r->status == 401 && !refreshed && AnswerChallenge(*r, scopes)) {
          // Expired or revoked token, a narrower scope, or a challenge not
          // announced by /v2/: new credentials, one retry. Bodies are
          // replayable: `body` is a string and `body_source` reopens its data.
          refreshed = true;
          need_refresh = true;
          Log("401 from " + RedactUrl(call.url) + "; retrying with new credentials");
          --attempt;
          continue;
        }
        if (IsRetryableStatus(r->status)) {
          retryable = true;
          if (r->status == 429 || r->status == 503) {
            retry_after =
                ParseRetryAfter(r->Header("retry-after"), std::chrono::system_clock::now());
          }
        }
      } else {
        retryable = IsRetryableTransportError(r.error());
      }
      if (!retryable || !call.retry || attempt >= options_.retry.max_attempts ||
          Clock::now() - start > options_.retry.max_total) {
        return r;
      }
      auto delay = options_.retry.Backoff(attempt, Random01());
      if (retry_after) delay = std::min(*retry_after, options_.retry.max_retry_after);
      Log("retrying " + call.method + " " + RedactUrl(call.url) + " in " +
          std::to_string(delay.count()) + " ms after " +
          (r ? std::to_string(r->status) : r.error().message()));
      Sleep(delay);
    }
  }

  Result<HttpResponse> SendFollowingRedirects(const Call& call, const std::string& authz) {
    std::string url = call.url;
    std::string method = call.method;
    bool send_body = true;
    for (int hop = 0; hop <= 5; ++hop) {
      HttpRequest req;
      req.method = method;
      req.url = url;
      req.headers = call.headers;
      std::string host = HostOfUrl(url);
      bool same_host = host == HostOfUrl(base_);
      if (!authz.empty() && same_host) req.headers.push_back({"Authorization", authz});
      if (send_body) {
        req.body = call.body;
        req.body_source = call.body_source;
        req.body_size = call.body_size;
      }
      req.sink = call.sink;
      req.on_response_start = call.on_response_start;
      req.verify_tls = !(insecure_ && same_host);
      Count(method);
      auto r = options_.transport->RoundTrip(req);
      if (!r) return r;
      int s = r->status;
      if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) &&
          !r->Header("location").empty()) {
        url = ResolveLocation(url, r->Header("location"));
        if (s == 303 || ((s == 301 || s == 302) && method != "GET" && method != "HEAD")) {
          if (method != "HEAD") method = "GET";
          send_body = false;
        }
        Log("redirected to " + RedactUrl(url));
        continue;
      }
      r->headers.push_back({"x-ocib-final-url", url});
      return r;
    }
    return Error(ErrorCode::kUnavailable,
                 call.method + " " + RedactUrl(call.url) + ": too many redirects");
  }

  std::string Url(const std::string& path) const { return base_ + path; }

  std::string registry_;
  std::string host_;
  RegistryOptions options_;
  bool insecure_ = false;

  std::mutex ping_mu_;
  bool pinged_ = false;
  std::string base_;  // "https://host:port"

  std::mutex auth_mu_;
  AuthState auth_;

  std::mutex cred_mu_;
  std::optional<Credential> credential_;

  std::mutex token_mu_;
  std::map<std::string, Token> tokens_;

  mutable std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::map<std::string, int> counts_;
  std::vector<std::string> push_repos_;
  std::vector<std::string> pull_repos_;
};

RegistryClient::RegistryClient(std::unique_ptr<Impl> impl) : impl_(std::move(impl)) {}
RegistryClient::~RegistryClient() = default;

Result<std::unique_ptr<RegistryClient>> RegistryClient::Create(const std::string& registry,
                                                               RegistryOptions options) {
  if (registry.empty()) return InvalidArgument("registry name is empty");
  return std::unique_ptr<RegistryClient>(
      new RegistryClient(std::make_unique<Impl>(registry, std::move(options))));
}

const std::string& RegistryClient::registry() const { return impl_->registry_; }
const RegistryOptions& RegistryClient::options() const { return impl_->options_; }

void RegistryClient::SetScopes(std::vector<std::string> push, std::vector<std::string> pull_from) {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  impl_->push_repos_ = std::move(push);
  impl_->pull_repos_ = std::move(pull_from);
}

Status RegistryClient::CheckCredentials() {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  Impl::AuthState auth = impl_->Auth();
  if (auth.scheme == "bearer") {
    std::lock_guard<std::mutex> lock(impl_->token_mu_);
    auto t = impl_->FetchToken(auth, {});
    if (!t) return std::move(t).error();
    return OkStatus();
  }
  if (auth.scheme != "basic") return OkStatus();
  Impl::Call call;
  call.method = "GET";
  call.url = impl_->Url("/v2/");
  OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, {}));
  if (r.status != 200) return impl_->HttpError(call, r);
  return OkStatus();
}

std::map<std::string, int> RegistryClient::RequestCounts() const {
  std::lock_guard<std::mutex> lock(impl_->mu_);
  return impl_->counts_;
}

Result<std::optional<Descriptor>> RegistryClient::StatBlob(const std::string& repo,
                                                           const Digest& digest) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  Impl::Call call;
  call.method = "HEAD";
  call.url = impl_->Url("/v2/" + repo + "/blobs/" + digest.ToString());
  OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, false)));
  if (r.status == 404) return std::optional<Descriptor>();
  if (r.status != 200) return impl_->HttpError(call, r);
  Descriptor d;
  d.digest = digest;
  std::string len = r.Header("content-length");
  d.size = len.empty() ? -1 : std::atoll(len.c_str());
  return std::optional<Descriptor>(d);
}

Result<std::optional<Descriptor>> RegistryClient::StatManifest(const std::string& repo,
                                                               const std::string& reference) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  Impl::Call call;
  call.method = "HEAD";
  call.url = impl_->Url("/v2/" + repo + "/manifests/" + reference);
  call.headers.push_back({"Accept", kManifestAccept});
  OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, false)));
  if (r.status == 404) return std::optional<Descriptor>();
  if (r.status != 200) return impl_->HttpError(call, r);
  Descriptor d;
  d.media_type = StripParams(r.Header("content-type"));
  std::string dcd = r.Header("docker-content-digest");
  if (!dcd.empty()) {
    auto parsed = Digest::Parse(dcd);
    if (parsed) d.digest = *parsed;
  }
  std::string len = r.Header("content-length");
  d.size = len.empty() ? -1 : std::atoll(len.c_str());
  return std::optional<Descriptor>(d);
}

Result<RemoteManifest> RegistryClient::GetManifest(const std::string& repo,
                                                   const std::string& reference) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  Impl::Call call;
  call.method = "GET";
  call.url = impl_->Url("/v2/" + repo + "/manifests/" + reference);
  call.headers.push_back({"Accept", kManifestAccept});
  OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, false)));
  if (r.status != 200) return impl_->HttpError(call, r);
  if (r.body.size() > (size_t{4} << 20)) {
    return InvalidArgument("GET " + RedactUrl(call.url) + ": manifest larger than 4 MiB");
  }
  RemoteManifest m;
  m.bytes = std::move(r.body);
  m.digest = Digest::Sha256Of(m.bytes);
  m.media_type = StripParams(r.Header("content-type"));
  json j = json::parse(m.bytes, nullptr, false);
  if (!j.is_discarded() && j.is_object() && j.contains("mediaType") && j["mediaType"].is_string()) {
    std::string mt = j["mediaType"].get<std::string>();
    if (m.media_type.empty() || m.media_type == "application/json" ||
        m.media_type == "text/plain") {
      m.media_type = mt;
    }
  } else if (!j.is_discarded() && j.is_object() &&
             (m.media_type.empty() || m.media_type == "application/json")) {
    m.media_type = j.contains("manifests") ? std::string(media_type::kImageIndex)
                                           : std::string(media_type::kImageManifest);
  }
  std::string dcd = r.Header("docker-content-digest");
  if (!dcd.empty() && dcd != m.digest.ToString() && dcd.rfind("sha256:", 0) == 0) {
    return DataLoss("GET " + RedactUrl(call.url) + ": Docker-Content-Digest " + dcd +
                    " does not match the content (" + m.digest.ToString() + ")");
  }
  if (reference.find(':') != std::string::npos && reference.rfind("sha256:", 0) == 0 &&
      reference != m.digest.ToString()) {
    return DataLoss("GET " + RedactUrl(call.url) + ": content has digest " + m.digest.ToString() +
                    ", not " + reference);
  }
  return m;
}

Status RegistryClient::FetchBlob(const std::string& repo, const Descriptor& blob,
                                 BlobStore& store) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  const RetryPolicy& policy = impl_->options_.retry;
  auto start = Clock::now();
  std::string url = impl_->Url("/v2/" + repo + "/blobs/" + blob.digest.ToString());
  for (int attempt = 1;; ++attempt) {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<BlobWriter> writer, store.NewWriter());
    VerifyingWriter verify(writer.get(), blob.size);
    Impl::Call call;
    call.method = "GET";
    call.url = url;
    call.sink = &verify;
    call.retry = false;  // the sink cannot be rewound; retried here instead
    auto r = impl_->Send(call, impl_->ScopesFor(repo, false));
    Status st;
    if (!r) {
      st = std::move(r).error();
    } else if (r->status != 200) {
      st = impl_->HttpError(call, *r);
    } else if (verify.count() != blob.size) {
      st = DataLoss("GET " + RedactUrl(url) + ": received " + std::to_string(verify.count()) +
                    " bytes, expected " + std::to_string(blob.size));
    } else {
      Digest got = verify.Finish();
      if (got != blob.digest) {
        writer->Abort();
        return DataLoss("GET " + RedactUrl(url) + ": content has digest " + got.ToString() +
                        ", expected " + blob.digest.ToString());
      }
      auto committed = writer->Commit(blob.media_type, blob.digest);
      if (!committed) return std::move(committed).error();
      return OkStatus();
    }
    writer->Abort();
    bool retryable =
        st.error().code() == ErrorCode::kUnavailable && st.error().message().rfind("TLS", 0) != 0;
    if (!retryable || attempt >= policy.max_attempts || Clock::now() - start > policy.max_total) {
      return st;
    }
    impl_->Log("retrying GET " + RedactUrl(url) + ": " + st.error().message());
    impl_->Sleep(policy.Backoff(attempt, impl_->Random01()));
  }
}

namespace {

class SkippingWriter : public Writer {
 public:
  SkippingWriter(Writer& next, int64_t skip) : next_(next), skip_(skip) {}
  void set_skip(int64_t skip) { skip_ = skip; }
  Status Write(const void* data, size_t size) override {
    const char* p = static_cast<const char*>(data);
    if (skip_ > 0) {
      size_t n = static_cast<size_t>(std::min<int64_t>(skip_, static_cast<int64_t>(size)));
      skip_ -= static_cast<int64_t>(n);
      p += n;
      size -= n;
    }
    if (size == 0) return OkStatus();
    return next_.Write(p, size);
  }
  Status Close() override { return OkStatus(); }

 private:
  Writer& next_;
  int64_t skip_;
};

}  // namespace

Status RegistryClient::ReadBlob(const std::string& repo, const Digest& digest, int64_t offset,
                                Writer& sink) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  // Ask for the tail with Range; a registry that ignores it answers 200
  // with the whole blob, whose head is then dropped here.
  SkippingWriter skip(sink, offset);
  Impl::Call call;
  call.method = "GET";
  call.url = impl_->Url("/v2/" + repo + "/blobs/" + digest.ToString());
  call.sink = &skip;
  call.retry = false;
  if (offset > 0) {
    call.headers.push_back({"Range", "bytes=" + std::to_string(offset) + "-"});
    call.on_response_start = [&skip, offset](const HttpResponse& r) {
      skip.set_skip(r.status == 206 ? 0 : offset);
    };
  }
  OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, false)));
  if (r.status != 200 && r.status != 206) return impl_->HttpError(call, r);
  return OkStatus();
}

namespace {

bool IsUploadRestartable(const HttpResponse& r) {
  return IsRetryableStatus(r.status) || BodyHasCode(r, "BLOB_UPLOAD_UNKNOWN") ||
         BodyHasCode(r, "BLOB_UPLOAD_INVALID") || BodyHasCode(r, "DIGEST_INVALID") ||
         BodyHasCode(r, "SIZE_INVALID") || r.status == 416;
}

// How the closing request of an upload session went.
struct UploadClose {
  Status status;
  bool restart = false;  // a new upload session may succeed
  bool created = false;  // the registry answered 201 Created
};

// Closes the upload session at `location` with PUT ?digest=, carrying the
// whole blob (a monolithic upload) when `open` is set, no body otherwise
// (after the chunks were PATCHed).
UploadClose CloseUpload(RegistryClient::Impl& impl, const std::string& location,
                        const Descriptor& blob, const std::vector<std::string>& scopes,
                        const BlobOpener* open) {
  RegistryClient::Impl::Call put;
  put.method = "PUT";
  put.url = WithQuery(location, "digest=" + UrlEncode(blob.digest.ToString()));
  put.retry = false;  // the session is restarted instead
  if (open != nullptr) {
    put.headers = {{"Content-Type", "application/octet-stream"}};
    int64_t size = blob.size;
    put.body_source = [open, size] { return (*open)(0, size); };
    put.body_size = size;
  }
  UploadClose out;
  auto r = impl.Send(put, scopes);
  if (!r) {
    out.restart = IsRetryableTransportError(r.error());
    out.status = std::move(r).error();
  } else if (r->status != 201 && r->status != 200 && r->status != 204) {
    out.restart = IsUploadRestartable(*r);
    out.status = impl.HttpError(put, *r);
  } else {
    out.created = r->status == 201;
  }
  return out;
}

}  // namespace

Result<bool> RegistryClient::PushBlob(const std::string& repo, const Descriptor& blob,
                                      const BlobOpener& open, const std::string& mount_from) {
  OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> existing, StatBlob(repo, blob.digest));
  if (existing) return false;
  auto scopes = impl_->ScopesFor(repo, true);
  if (!mount_from.empty() && mount_from != repo) {
    auto mscopes = scopes;
    std::string s = "repository:" + mount_from + ":pull";
    if (std::find(mscopes.begin(), mscopes.end(), s) == mscopes.end()) mscopes.push_back(s);
    Impl::Call call;
    call.method = "POST";
    call.url =
        impl_->Url("/v2/" + repo + "/blobs/uploads/?mount=" + UrlEncode(blob.digest.ToString()) +
                   "&from=" + UrlEncode(mount_from));
    auto r = impl_->Send(call, mscopes);
    if (r && r->status == 201) {
      impl_->Log("mounted " + blob.digest.ToString() + " from " + mount_from);
      return true;
    }
    if (r && r->status == 202 && !r->Header("location").empty()) {
      // Not mountable here: cancel that session and upload normally.
      Impl::Call del;
      del.method = "DELETE";
      del.url = ResolveLocation(r->Header("x-ocib-final-url"), r->Header("location"));
      del.retry = false;
      (void)impl_->Send(del, scopes);
    }
  }
  const RetryPolicy& policy = impl_->options_.retry;
  auto start = Clock::now();
  Status last;
  for (int attempt = 1;; ++attempt) {
    // POST: start a session.
    Impl::Call post;
    post.method = "POST";
    post.url = impl_->Url("/v2/" + repo + "/blobs/uploads/");
    OCIB_ASSIGN_OR_RETURN(HttpResponse pr, impl_->Send(post, scopes));
    if (pr.status != 202 || pr.Header("location").empty()) return impl_->HttpError(post, pr);
    std::string location = ResolveLocation(pr.Header("x-ocib-final-url"), pr.Header("location"));
    int64_t min_chunk = std::atoll(pr.Header("oci-chunk-min-length").c_str());
    bool chunked = blob.size >= impl_->options_.chunk_threshold || min_chunk > 0;
    int64_t chunk = std::max(impl_->options_.chunk_size, min_chunk);
    if (chunk <= 0) chunk = int64_t{16} << 20;

    bool restart = false;
    bool created = false;  // the final PUT answered 201 Created
    Status step;
    if (chunked) {
      int64_t offset = 0;
      int recoveries = 0;
      while (offset < blob.size && step && !restart) {
        int64_t len = std::min(chunk, blob.size - offset);
        Impl::Call patch;
        patch.method = "PATCH";
        patch.url = location;
        patch.retry = false;
        patch.headers = {
            {"Content-Type", "application/octet-stream"},
            {"Content-Range", std::to_string(offset) + "-" + std::to_string(offset + len - 1)}};
        int64_t off = offset;
        patch.body_source = [&open, off, len] { return open(off, len); };
        patch.body_size = len;
        auto r = impl_->Send(patch, scopes);
        if (r && (r->status == 202 || r->status == 201 || r->status == 204)) {
          if (!r->Header("location").empty()) {
            location = ResolveLocation(r->Header("x-ocib-final-url"), r->Header("location"));
          }
          offset += len;
          continue;
        }
        bool recoverable = !r ? IsRetryableTransportError(r.error())
                              : (r->status == 416 || IsRetryableStatus(r->status));
        if (!recoverable || ++recoveries > policy.max_attempts) {
          if (r) {
            restart = IsUploadRestartable(*r);
            step = impl_->HttpError(patch, *r);
          } else {
            restart = IsRetryableTransportError(r.error());
            step = std::move(r).error();
          }
          break;
        }
        // Ask the registry how much it has and resume from there.
        impl_->Sleep(policy.Backoff(recoveries, impl_->Random01()));
        Impl::Call status;
        status.method = "GET";
        status.url = location;
        auto sr = impl_->Send(status, scopes);
        if (!sr || sr->status != 204) {
          restart = true;
          step = sr ? impl_->HttpError(status, *sr) : std::move(sr).error();
          break;
        }
        if (!sr->Header("location").empty()) {
          location = ResolveLocation(sr->Header("x-ocib-final-url"), sr->Header("location"));
        }
        std::string range = sr->Header("range");
        size_t dash = range.find('-');
        int64_t end = dash == std::string::npos ? -1 : std::atoll(range.c_str() + dash + 1);
        // "0-0" is ambiguous (empty or one byte): trust it only if we sent
        // at least one byte.
        offset = (end <= 0 && offset == 0) ? 0 : end + 1;
        impl_->Log("resuming upload of " + blob.digest.ToString() + " at byte " +
                   std::to_string(offset));
      }
    }
    if (step && !restart) {
      UploadClose closed = CloseUpload(*impl_, location, blob, scopes, chunked ? nullptr : &open);
      step = std::move(closed.status);
      restart = closed.restart;
      created = closed.created;
    }
    if (step && created) return true;
    if (step) {
      // Confirm: some registries answer 200/204; the blob must now exist.
      OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> now, StatBlob(repo, blob.digest));
      if (now) return true;
      step = Error(ErrorCode::kUnavailable,
                   "blob " + blob.digest.ToString() + " missing after a successful upload");
      restart = true;
    }
    // Abandon the session (best effort) before anything else.
    Impl::Call del;
    del.method = "DELETE";
    del.url = location;
    del.retry = false;
    (void)impl_->Send(del, scopes);
    if (!restart || attempt >= policy.max_attempts || Clock::now() - start > policy.max_total) {
      return std::move(step).error();
    }
    impl_->Log("restarting upload of " + blob.digest.ToString() + ": " + step.error().message());
    impl_->Sleep(policy.Backoff(attempt, impl_->Random01()));
  }
}

Result<Digest> RegistryClient::PutManifest(const std::string& repo, const std::string& reference,
                                           const std::string& media_type, const std::string& bytes,
                                           std::string* oci_subject) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  Digest digest = Digest::Sha256Of(bytes);
  Impl::Call call;
  call.method = "PUT";
  call.url = impl_->Url("/v2/" + repo + "/manifests/" + reference);
  call.headers.push_back({"Content-Type", media_type});
  call.body = bytes;
  OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, true)));
  if (r.status != 201 && r.status != 200 && r.status != 202 && r.status != 204) {
    return impl_->HttpError(call, r);
  }
  std::string dcd = r.Header("docker-content-digest");
  if (!dcd.empty() && dcd.rfind("sha256:", 0) == 0 && dcd != digest.ToString()) {
    return DataLoss("PUT " + RedactUrl(call.url) + ": registry stored digest " + dcd +
                    ", expected " + digest.ToString());
  }
  if (oci_subject != nullptr) *oci_subject = r.Header("oci-subject");
  return digest;
}

namespace {

// The target of a `Link: <url>; rel="next"` header value, or "".
std::string NextLink(const std::vector<std::string>& values) {
  for (const std::string& v : values) {
    size_t pos = 0;
    while (pos < v.size()) {
      size_t open = v.find('<', pos);
      if (open == std::string::npos) break;
      size_t close = v.find('>', open);
      if (close == std::string::npos) break;
      size_t end = v.find(',', close);
      std::string params =
          v.substr(close + 1, end == std::string::npos ? std::string::npos : end - close - 1);
      std::string lower;
      for (char c : params) {
        if (c == ' ' || c == '"') continue;
        lower += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      }
      if (lower.find("rel=next") != std::string::npos) return v.substr(open + 1, close - open - 1);
      if (end == std::string::npos) break;
      pos = end + 1;
    }
  }
  return "";
}

}  // namespace

Result<std::optional<std::vector<Descriptor>>> RegistryClient::ListReferrers(
    const std::string& repo, const Digest& subject, const std::string& artifact_type) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  using Out = std::optional<std::vector<Descriptor>>;
  std::string url = impl_->Url("/v2/" + repo + "/referrers/" + subject.ToString());
  if (!artifact_type.empty()) url = WithQuery(url, "artifactType=" + UrlEncode(artifact_type));
  std::vector<Descriptor> out;
  for (int page = 0; page < 100 && !url.empty(); ++page) {
    Impl::Call call;
    call.method = "GET";
    call.url = url;
    call.headers.push_back({"Accept", std::string(media_type::kImageIndex)});
    OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, false)));
    // 404 is how the distribution spec says "no referrers API"; registries
    // without the endpoint have also been seen to answer 400 (a path they
    // cannot parse), 405 (a route without GET) or 501. On the first page
    // all of them mean: use the fallback tag.
    if (r.status == 404 || r.status == 400 || r.status == 405 || r.status == 501) {
      if (page > 0) return impl_->HttpError(call, r);
      impl_->Log("GET " + RedactUrl(url) + ": " + std::to_string(r.status) + ", no referrers API");
      return Out();
    }
    if (r.status != 200) return impl_->HttpError(call, r);
    if (r.body.size() > (size_t{4} << 20)) {
      return InvalidArgument("GET " + RedactUrl(url) + ": referrers index larger than 4 MiB");
    }
    auto index = Index::Parse(r.body);
    if (!index) {
      // Some registries answer any unknown path with 200 and a page.
      if (page > 0) {
        return std::move(index).error().With("GET " + RedactUrl(url));
      }
      impl_->Log("GET " + RedactUrl(url) + ": 200 without an image index, no referrers API");
      return Out();
    }
    for (Descriptor& d : index->manifests) out.push_back(std::move(d));
    std::string next = NextLink(r.HeaderValues("link"));
    url.clear();
    if (!next.empty()) {
      std::string resolved = ResolveLocation(r.Header("x-ocib-final-url"), next);
      if (HostOfUrl(resolved) != HostOfUrl(impl_->Url("/"))) {
        return Error(ErrorCode::kUnavailable,
                     "GET " + RedactUrl(call.url) + ": next page link points to another host");
      }
      url = resolved;
    }
  }
  return Out(std::move(out));
}

Result<std::vector<std::string>> RegistryClient::ListTags(const std::string& repo,
                                                          int page_size) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  std::string url = impl_->Url("/v2/" + repo + "/tags/list");
  if (page_size > 0) url = WithQuery(url, fmt::format("n={}", page_size));
  std::vector<std::string> out;
  std::set<std::string> seen;
  for (int page = 0; !url.empty(); ++page) {
    if (page >= 10000) {
      return Error(ErrorCode::kUnavailable,
                   fmt::format("listing tags of {}: more than 10000 pages", repo));
    }
    Impl::Call call;
    call.method = "GET";
    call.url = url;
    call.headers.push_back({"Accept", "application/json"});
    OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, false)));
    if (r.status != 200) return impl_->HttpError(call, r);
    if (r.body.size() > (size_t{16} << 20)) {
      return InvalidArgument(fmt::format("GET {}: tag list larger than 16 MiB", RedactUrl(url)));
    }
    json j = json::parse(r.body, nullptr, false);
    if (j.is_discarded() || !j.is_object() ||
        (j.contains("tags") && !j["tags"].is_array() && !j["tags"].is_null())) {
      return InvalidArgument(
          fmt::format("GET {}: the answer is not a tag list (no \"tags\" array)", RedactUrl(url)));
    }
    if (j.contains("tags") && j["tags"].is_array()) {
      for (const json& t : j["tags"]) {
        if (!t.is_string()) {
          return InvalidArgument(fmt::format("GET {}: a tag that is not a string", RedactUrl(url)));
        }
        if (seen.insert(t.get<std::string>()).second) out.push_back(t.get<std::string>());
      }
    }
    std::string next = NextLink(r.HeaderValues("link"));
    url.clear();
    if (!next.empty()) {
      std::string resolved = ResolveLocation(r.Header("x-ocib-final-url"), next);
      if (HostOfUrl(resolved) != HostOfUrl(impl_->Url("/"))) {
        return Error(ErrorCode::kUnavailable,
                     fmt::format("GET {}: next page link points to another host",
                                 RedactUrl(call.url)));
      }
      url = resolved;
    }
  }
  return out;
}

Status RegistryClient::DeleteManifest(const std::string& repo, const std::string& reference) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
  Impl::Call call;
  call.method = "DELETE";
  call.url = impl_->Url("/v2/" + repo + "/manifests/" + reference);
  std::vector<std::string> scopes = impl_->ScopesFor(repo, true);
  scopes.insert(scopes.begin(), "repository:" + repo + ":delete");
  OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, scopes));
  if (r.status == 200 || r.status == 202 || r.status == 204) return OkStatus();
  if (r.status == 405 || BodyHasCode(r, "UNSUPPORTED")) {
    return Error(ErrorCode::kPermissionDenied,
                 fmt::format("DELETE {}: {}: {}: the registry {} does not allow deleting "
                             "manifests (docker-registry allows it with storage: delete: "
                             "enabled: true)",
                             RedactUrl(call.url), r.status, DescribeBody(r), impl_->registry_));
  }
  Error e = impl_->HttpError(call, r);
  if (r.status == 400) return Error(ErrorCode::kInvalidArgument, e.message());
  return e;
}

}  // namespace ocib
