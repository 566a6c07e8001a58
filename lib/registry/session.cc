// RegistryClient::Impl, the session with one registry: scheme probing,
// auth challenges, the bearer token cache, redirects and retries.
#include "lib/registry/session.h"

#include <algorithm>
#include <cmath>
#include <ctime>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "lib/auth/base64.h"
#include "lib/http/url.h"
#include "lib/registry/challenge.h"
#include "lib/registry/token_answer.h"

namespace ocib {
namespace registry {

using nlohmann::json;

const char* const kManifestAccept =
    "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json, "
    "application/vnd.docker.distribution.manifest.v2+json, "
    "application/vnd.docker.distribution.manifest.list.v2+json";

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

std::string StripParams(const std::string& content_type) {
  std::string s = content_type.substr(0, content_type.find(';'));
  while (!s.empty() && s.back() == ' ') s.pop_back();
  return s;
}

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
      if (e.contains("detail") && !e["detail"].is_null()) {
        std::string detail =
            e["detail"].is_string() ? e["detail"].get<std::string>() : e["detail"].dump();
        if (detail.size() > 500) detail = detail.substr(0, 500) + "...";
        out += fmt::format(" (detail: {})", detail);
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

}  // namespace registry

namespace {

using nlohmann::json;
using registry::HostOfUrl;
using registry::SchemeAndHost;
using registry::UrlEncode;
using registry::WithQuery;
using Clock = std::chrono::steady_clock;

bool IsLoopback(const std::string& host_port) {
  std::string host = host_port;
  if (!host.empty() && host[0] == '[') {
    host = host.substr(0, host.find(']') + 1);
    return host == "[::1]";
  }
  host = host.substr(0, host.find(':'));
  return host == "localhost" || host.rfind("127.", 0) == 0;
}

}  // namespace

bool IsRetryableStatus(int status) {
  return status == 408 || status == 429 ||
         (status >= 500 && status <= 599 && status != 501 && status != 505);
}

std::chrono::milliseconds RetryPolicy::Backoff(int attempt, double random01) const {
  auto cap = static_cast<double>(max_backoff.count());
  double base = static_cast<double>(initial_backoff.count()) *
                std::pow(2.0, static_cast<double>(std::clamp(attempt - 1, 0, 30)));
  double ceiling = std::min(cap, base);
  return std::chrono::milliseconds(static_cast<int64_t>(ceiling / 2 + ceiling / 2 * random01));
}

namespace {

// Days since 1970-01-01 of a proleptic Gregorian date (Howard Hinnant's
// days_from_civil).
int64_t DaysFromCivil(int64_t y, int64_t m, int64_t d) {
  y -= m <= 2 ? 1 : 0;
  const int64_t era = (y >= 0 ? y : y - 399) / 400;
  const int64_t yoe = y - era * 400;
  const int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
  const int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return era * 146097 + doe - 719468;
}

// The digits of `s` at [pos, pos + n) as a number, or -1.
int64_t Digits(std::string_view s, size_t pos, size_t n) {
  if (pos + n > s.size()) return -1;
  int64_t v = 0;
  for (size_t i = pos; i < pos + n; ++i) {
    if (s[i] < '0' || s[i] > '9') return -1;
    v = v * 10 + (s[i] - '0');
  }
  return v;
}

// Seconds since the epoch of an IMF-fixdate ("Sun, 06 Nov 1994 08:49:37
// GMT", RFC 9110 §5.6.7), or nullopt.
std::optional<int64_t> ParseImfFixdate(std::string_view v) {
  static constexpr std::string_view kMonths = "JanFebMarAprMayJunJulAugSepOctNovDec";
  if (v.size() != 29 || v.substr(3, 2) != ", " || v[7] != ' ' || v[11] != ' ' || v[16] != ' ' ||
      v[19] != ':' || v[22] != ':' || v.substr(25) != " GMT") {
    return std::nullopt;
  }
  size_t month = kMonths.find(v.substr(8, 3));
  int64_t day = Digits(v, 5, 2);
  int64_t year = Digits(v, 12, 4);
  int64_t hour = Digits(v, 17, 2);
  int64_t minute = Digits(v, 20, 2);
  int64_t second = Digits(v, 23, 2);
  if (month == std::string_view::npos || month % 3 != 0 || day < 1 || day > 31 || year < 1970 ||
      hour < 0 || hour > 23 || minute < 0 || minute > 59 || second < 0 || second > 60) {
    return std::nullopt;
  }
  int64_t days = DaysFromCivil(year, static_cast<int64_t>(month / 3) + 1, day);
  return ((days * 24 + hour) * 60 + minute) * 60 + second;
}

}  // namespace

std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now) {
  while (!value.empty() && (value.back() == ' ' || value.back() == '\t')) value.remove_suffix(1);
  while (!value.empty() && (value.front() == ' ' || value.front() == '\t')) value.remove_prefix(1);
  if (value.empty()) return std::nullopt;
  // Delays beyond a day are capped there: the caller bounds them anyway.
  constexpr int64_t kDaySeconds = 86400;
  if (std::ranges::all_of(value, [](char c) { return c >= '0' && c <= '9'; })) {
    if (value.size() > 9) return std::chrono::seconds(kDaySeconds);
    return std::chrono::seconds(std::min(kDaySeconds, Digits(value, 0, value.size())));
  }
  std::optional<int64_t> when = ParseImfFixdate(value);
  if (!when) return std::nullopt;
  int64_t now_s = std::chrono::duration_cast<std::chrono::seconds>(now.time_since_epoch()).count();
  if (*when <= now_s) return std::chrono::milliseconds(0);
  return std::chrono::seconds(std::min(kDaySeconds, *when - now_s));
}

using Impl = RegistryClient::Impl;

namespace {

std::shared_ptr<registry::SharedSession> SharedFor(const std::string& registry,
                                                   const RegistryOptions& options) {
  if (options.sessions) return options.sessions->impl().For(registry);
  return std::make_shared<registry::SharedSession>();
}

}  // namespace

Impl::Impl(std::string registry, RegistryOptions options)
    : registry_(std::move(registry)),
      options_(std::move(options)),
      shared_(SharedFor(registry_, options_)),
      ping_mu_(shared_->ping_mu),
      pinged_(shared_->pinged),
      base_(shared_->base),
      auth_mu_(shared_->auth_mu),
      auth_(shared_->auth),
      cred_mu_(shared_->cred_mu),
      credentials_(shared_->credentials),
      token_mu_(shared_->token_mu),
      tokens_(shared_->tokens) {
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
    std::lock_guard<std::mutex> lock(shared_->ping_mu);
    if (!shared_->transport) {
      HttpTransportOptions t;
      t.ca_file = options_.ca_file;
      t.cert_dirs = options_.cert_dirs;
      t.log = options_.log;
      shared_->transport = MakeCurlTransport(std::move(t));
    }
    options_.transport = shared_->transport;
  }
  if (!options_.keychain) options_.keychain = MakeDefaultKeychain();
}

void Impl::Log(const std::string& line) const {
  if (options_.log) options_.log(line);
}

void Impl::Sleep(std::chrono::milliseconds d) const {
  if (options_.sleep) {
    options_.sleep(d);
  } else {
    std::this_thread::sleep_for(d);
  }
}

std::chrono::system_clock::time_point Impl::Now() const {
  return options_.now ? options_.now() : std::chrono::system_clock::now();
}

double Impl::Random01() {
  std::lock_guard<std::mutex> lock(mu_);
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng_);
}

void Impl::Count(const std::string& method) {
  std::lock_guard<std::mutex> lock(mu_);
  ++counts_[method];
}

// Every request leaves here: counted, with the session's deadlines.
HttpResult Impl::RoundTrip(HttpRequest req, const char* count_as) {
  Count(count_as != nullptr ? count_as : req.method);
  req.stall_timeout = options_.stall_timeout;
  req.total_timeout = options_.request_timeout;
  return options_.transport->RoundTrip(req);
}

// A loopback registry may speak plain HTTP. Ask it in plain HTTP first (no
// credentials; a TLS server answers 400 "client sent an HTTP request to an
// HTTPS server" or drops the connection): this saves a failed TLS handshake
// and loading the CA bundle for test registries. A TLS peer is then used
// with full verification. On success `req` is the plain request.
HttpResult Impl::ProbePlainHttp(HttpRequest& req, const std::string& path) {
  HttpRequest probe = req;
  probe.url = "http://" + host_ + path;
  HttpResult r = RoundTrip(probe);
  if (r && r->status != 400 && r->status < 500) {
    req = probe;
    return r;
  }
  return Error(ErrorCode::kUnavailable, "no plain HTTP");
}

// HEAD `path` over TLS (retried), falling back to plain HTTP for insecure
// and loopback registries whose peer does not speak TLS.
HttpResult Impl::ProbeTls(HttpRequest& req, const std::string& path) {
  req.verify_tls = !insecure_;
  HttpResult r = RoundTrip(req);
  for (int attempt = 1; !r && r.retryable() && attempt < options_.retry.max_attempts; ++attempt) {
    Sleep(options_.retry.Backoff(attempt, Random01()));
    r = RoundTrip(req);
  }
  bool handshake =
      r.failure() == TransportFailure::kTlsHandshake || r.failure() == TransportFailure::kProtocol;
  if (!r && (insecure_ || IsLoopback(host_)) && (handshake || (insecure_ && r.retryable()))) {
    Log(fmt::format("ping {}: {}; trying plain HTTP", host_, r.error().message()));
    req.url = "http://" + host_ + path;
    r = RoundTrip(req);
  }
  return r;
}

Status Impl::Ping() { return PingWithHead("/v2/", {}, nullptr); }

// HEAD `path` with the scheme discovery of a ping: plain HTTP first on
// loopback, else TLS (and plain HTTP after a failed handshake where allowed).
// `req` ends as the request that answered.
HttpResult Impl::ProbeScheme(const std::string& path, const std::vector<HttpHeader>& headers,
                             HttpRequest& req) {
  req = HttpRequest();
  req.method = "HEAD";
  req.url = "https://" + host_ + path;
  req.headers = headers;
  if (IsLoopback(host_) && !insecure_) {
    HttpResult r = ProbePlainHttp(req, path);
    if (r) return r;
  }
  return ProbeTls(req, path);
}

Status Impl::PingWithHead(const std::string& path, const std::vector<HttpHeader>& headers,
                          std::optional<HttpResponse>* answer) {
  std::lock_guard<std::mutex> lock(ping_mu_);
  if (pinged_) return OkStatus();
  HttpRequest req;
  HttpResult r = ProbeScheme(path, headers, req);
  if (path != "/v2/" && ((!r && r.retryable()) || (r && (r->status >= 500 || r->status == 429)))) {
    // The caller's request could not be the ping (a registry restarting, a
    // repository a proxy hangs up): ping /v2/ as always; the request then
    // gets the retries every request gets. Other failures (TLS, refused
    // connections, DNS) are the ping's answer.
    Log(fmt::format("ping {} with HEAD {}: {}; trying /v2/", host_, path,
                    r ? std::to_string(r->status) : r.error().message()));
    answer = nullptr;
    r = ProbeScheme("/v2/", {}, req);
  }
  if (!r) return std::move(r).error().With(fmt::format("connecting to registry {}", registry_));
  base_ = SchemeAndHost(req.url);
  if (r->status == 401) LearnPingChallenge(*r);
  if (r->status == 200 && answer != nullptr && path != "/v2/") *answer = std::move(*r);
  pinged_ = true;
  return OkStatus();
}

void Impl::LearnPingChallenge(const HttpResponse& r) {
  AuthState auth;
  for (const registry::Challenge& c :
       registry::ParseChallenges(r.HeaderValues("www-authenticate"))) {
    if (c.scheme == "bearer" && !c.Param("realm").empty()) {
      auth = {"bearer", c.Param("realm"), c.Param("service")};
      break;
    }
    if (c.scheme == "basic" && auth.scheme.empty()) auth.scheme = "basic";
  }
  SetAuth(std::move(auth));
}

Impl::AuthState Impl::Auth() {
  std::lock_guard<std::mutex> lock(auth_mu_);
  return auth_;
}

void Impl::SetAuth(AuthState auth) {
  bool realm_changed = false;
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

namespace {

// Whether scope `held` ("repository:NAME:pull,push") grants every action
// of `wanted` on the same resource.
bool Covers(std::string_view held, std::string_view wanted) {
  size_t hc = held.rfind(':');
  size_t wc = wanted.rfind(':');
  if (hc == std::string_view::npos || wc == std::string_view::npos ||
      held.substr(0, hc) != wanted.substr(0, wc)) {
    return false;
  }
  std::string_view actions = held.substr(hc + 1);
  auto has = [&](std::string_view action) {
    size_t pos = 0;
    while (pos <= actions.size()) {
      size_t end = std::min(actions.find(',', pos), actions.size());
      std::string_view a = actions.substr(pos, end - pos);
      if (a == action || a == "*") return true;
      pos = end + 1;
    }
    return false;
  };
  std::string_view rest = wanted.substr(wc + 1);
  size_t pos = 0;
  while (pos <= rest.size()) {
    size_t end = std::min(rest.find(',', pos), rest.size());
    if (end > pos && !has(rest.substr(pos, end - pos))) return false;
    pos = end + 1;
  }
  return true;
}

// Puts the scopes of a bearer challenge's `scope` parameter in front of
// `scopes`: some token servers honour only the first scope of a request,
// and the one the registry asks for is the one missing. A scope already
// held that covers it is moved to the front instead; the other held scopes
// follow, so that the new token keeps covering them.
void AddChallengeScopes(const std::string& scope_list, std::vector<std::string>& scopes) {
  size_t pos = 0;
  std::vector<std::string> front;
  while (pos < scope_list.size()) {
    size_t end = scope_list.find(' ', pos);
    if (end == std::string::npos) end = scope_list.size();
    std::string scope = scope_list.substr(pos, end - pos);
    pos = end + 1;
    if (scope.empty()) continue;
    auto held =
        std::ranges::find_if(scopes, [&](const std::string& h) { return Covers(h, scope); });
    if (held != scopes.end()) {
      scope = *held;
      scopes.erase(held);
    }
    if (std::ranges::find(front, scope) == front.end()) front.push_back(std::move(scope));
  }
  scopes.insert(scopes.begin(), front.begin(), front.end());
}

// For a 403, or a 401 whose challenge says insufficient_scope: the
// registry knows who asks and does not let them do it.
std::string NotAllowed(const Credential& cred, const std::string& registry, const std::string& repo,
                       bool write) {
  const std::string what = write ? "push to" : "pull from";
  const std::string where = repo.empty() ? registry : registry + "/" + repo;
  return cred.empty() ? fmt::format(" (anonymous users may not {} {}; run ocib login {})", what,
                                    where, registry)
                      : fmt::format(" (the credentials for {} were accepted but may not {} {})",
                                    registry, what, where);
}

bool InsufficientScope(const HttpResponse& r) {
  return std::ranges::any_of(
      registry::ParseChallenges(r.HeaderValues("www-authenticate")),
      [](const registry::Challenge& c) { return c.Param("error") == "insufficient_scope"; });
}

// The repository of the first "repository:NAME:ACTIONS" scope ("" if none).
std::string RepoOfScopes(const std::vector<std::string>& scopes) {
  for (const std::string& s : scopes) {
    if (s.rfind("repository:", 0) != 0) continue;
    const size_t last = s.rfind(':');
    if (last > 11) return s.substr(11, last - 11);
  }
  return {};
}

// The repository a distribution API URL names ("" if none): the part of
// the path between /v2/ and its last /manifests/, /blobs/, /tags/ or
// /referrers/.
std::string RepoOfUrl(const std::string& url) {
  const size_t scheme = url.find("://");
  const size_t path = url.find('/', scheme == std::string::npos ? 0 : scheme + 3);
  if (path == std::string::npos || url.compare(path, 4, "/v2/") != 0) return {};
  const size_t query = url.find('?', path);
  const std::string p =
      url.substr(path + 4, query == std::string::npos ? std::string::npos : query - path - 4);
  size_t end = std::string::npos;
  for (const char* marker : {"/manifests/", "/blobs/", "/tags/", "/referrers/"}) {
    const size_t at = p.rfind(marker);
    if (at != std::string::npos && (end == std::string::npos || at > end)) end = at;
  }
  return end == std::string::npos ? std::string() : p.substr(0, end);
}

}  // namespace

// After a 401 answer `r`: whether one retry with new credentials may help.
// A challenge that /v2/ did not show (a registry answering /v2/ anonymously
// but challenging on repositories, or naming another realm) is learnt here
// and used from now on. Challenges from other hosts (redirect targets) are
// ignored. A bearer challenge's `scope` is added to `scopes`.
bool Impl::AnswerChallenge(const HttpResponse& r, std::vector<std::string>& scopes) {
  std::string url = r.Header("x-ocib-final-url");
  AuthState current = Auth();
  if (HostOfUrl(url) != HostOfUrl(base_)) return current.scheme == "bearer";
  const std::vector<registry::Challenge> challenges =
      registry::ParseChallenges(r.HeaderValues("www-authenticate"));
  auto bearer = std::ranges::find_if(challenges, [](const registry::Challenge& c) {
    return c.scheme == "bearer" && !c.Param("realm").empty();
  });
  bool basic = std::ranges::any_of(
      challenges, [](const registry::Challenge& c) { return c.scheme == "basic"; });
  if (bearer != challenges.end()) {
    AddChallengeScopes(bearer->Param("scope"), scopes);
    AuthState learnt{"bearer", bearer->Param("realm"), bearer->Param("service")};
    if (current.scheme != "bearer" || current.realm != learnt.realm ||
        current.service != learnt.service) {
      Log(fmt::format("401 from {}: bearer challenge (realm {}) not announced by /v2/; using it",
                      RedactUrl(url), RedactUrl(learnt.realm)));
      SetAuth(std::move(learnt));
    }
    return true;
  }
  // An expired or revoked token: refresh once.
  if (current.scheme == "bearer") return true;
  if (basic && current.scheme.empty()) {
    Log(fmt::format("401 from {}: basic challenge not announced by /v2/; using it",
                    RedactUrl(url)));
    SetAuth({"basic", "", ""});
    auto cred = GetCredential(RepoOfScopes(scopes));
    return cred && !cred->username.empty();
  }
  return false;
}

Result<Credential> Impl::GetCredential(const std::string& repo) {
  std::lock_guard<std::mutex> lock(cred_mu_);
  auto it = credentials_.find(repo);
  if (it == credentials_.end()) {
    auto c = options_.keychain->ResolveRepository(registry_, repo);
    if (!c) {
      return std::move(c).error().With(fmt::format("looking up credentials for {}{}{}", registry_,
                                                   repo.empty() ? "" : "/", repo));
    }
    it = credentials_.emplace(repo, *c).first;
  }
  return it->second;
}

std::vector<std::string> Impl::ScopesFor(const std::string& repo, bool push) {
  std::lock_guard<std::mutex> lock(mu_);
  // The request's own repository first: its credential is the one used.
  const bool pushed = std::ranges::find(push_repos_, repo) != push_repos_.end();
  std::vector<std::string> scopes{"repository:" + repo + (push || pushed ? ":pull,push" : ":pull")};
  for (const std::string& r : push_repos_) {
    if (r != repo) scopes.push_back("repository:" + r + ":pull,push");
  }
  for (const std::string& r : pull_repos_) {
    std::string s = "repository:" + r + ":pull";
    if (r != repo && std::ranges::find(push_repos_, r) == push_repos_.end() &&
        std::ranges::find(scopes, s) == scopes.end()) {
      scopes.push_back(s);
    }
  }
  return scopes;
}

namespace {

std::string ScopeKey(const std::vector<std::string>& scopes) {
  std::string k;
  for (const std::string& s : scopes) k += s + " ";
  return k;
}

std::string NoOrRejectedCredentials(const Credential& cred, const std::string& registry) {
  return cred.empty()
             ? fmt::format(" (no credentials for {}; run ocib login {})", registry, registry)
             : fmt::format(" (credentials for {} rejected)", registry);
}

}  // namespace

HttpRequest Impl::TokenRequest(const AuthState& auth, const Credential& cred,
                               const std::vector<std::string>& scopes) const {
  HttpRequest req;
  req.max_body_bytes = registry::kMaxTokenBytes;
  std::string realm_host = HostOfUrl(auth.realm);
  req.verify_tls = std::ranges::find(options_.insecure_registries, realm_host) ==
                   options_.insecure_registries.end();
  if (!cred.identity_token.empty()) {
    req.method = "POST";
    req.url = auth.realm;
    req.headers.push_back({"Content-Type", "application/x-www-form-urlencoded"});
    std::string scope_list;
    for (const std::string& s : scopes) scope_list += (scope_list.empty() ? "" : " ") + s;
    req.body = "grant_type=refresh_token&client_id=ocib&service=" + UrlEncode(auth.service) +
               "&scope=" + UrlEncode(scope_list) +
               "&refresh_token=" + UrlEncode(cred.identity_token);
    return req;
  }
  std::string query;
  if (!auth.service.empty()) query += "service=" + UrlEncode(auth.service);
  for (const std::string& s : scopes)
    query += (query.empty() ? "" : "&") + ("scope=" + UrlEncode(s));
  req.method = "GET";
  req.url = query.empty() ? auth.realm : WithQuery(auth.realm, query);
  if (!cred.username.empty()) {
    req.headers.push_back(
        {"Authorization", "Basic " + Base64Encode(cred.username + ":" + cred.password)});
  }
  return req;
}

Result<Impl::Token> Impl::ParseTokenAnswer(const std::string& what, const HttpResponse& r,
                                           const Credential& cred,
                                           const std::vector<std::string>& scopes) const {
  if (r.status == 401) {
    return Error(ErrorCode::kUnauthenticated,
                 fmt::format("{}: {}: {}{}", what, r.status, registry::DescribeBody(r),
                             NoOrRejectedCredentials(cred, registry_)));
  }
  if (r.status == 403) {
    // The token server knows the user and refuses the scopes asked.
    const bool write = std::ranges::any_of(scopes, [](const std::string& s) {
      return s.find("push") != std::string::npos || s.find("delete") != std::string::npos;
    });
    return Error(ErrorCode::kPermissionDenied,
                 fmt::format("{}: {}: {}{}", what, r.status, registry::DescribeBody(r),
                             NotAllowed(cred, registry_, RepoOfScopes(scopes), write)));
  }
  if (r.status != 200) {
    return Error(registry::CodeForStatus(r.status),
                 fmt::format("{}: {}: {}", what, r.status, registry::DescribeBody(r)));
  }
  auto answer = registry::ParseTokenAnswer(r.body);
  if (!answer) return std::move(answer).error().With(what);
  return Token{std::move(answer->token), Clock::now() + answer->lifetime};
}

Result<Impl::Token> Impl::FetchToken(const AuthState& auth,
                                     const std::vector<std::string>& scopes) {
  OCIB_ASSIGN_OR_RETURN(Credential cred, GetCredential(RepoOfScopes(scopes)));
  if (!cred.registry_token.empty()) {
    return Token{cred.registry_token, Clock::now() + std::chrono::hours(24)};
  }
  HttpRequest req = TokenRequest(auth, cred, scopes);
  std::string what = fmt::format("fetching token from {} for {}", RedactUrl(auth.realm), registry_);
  auto start = Clock::now();
  for (int attempt = 1;; ++attempt) {
    HttpResult r = RoundTrip(req, "TOKEN");
    std::optional<std::chrono::milliseconds> delay = RetryDelay(r, attempt, start, true);
    if (!delay) {
      if (!r) return std::move(r).error().With(what);
      return ParseTokenAnswer(what, *r, cred, scopes);
    }
    Sleep(*delay);
  }
}

Result<std::string> Impl::AuthorizationFor(const std::vector<std::string>& scopes, bool refresh) {
  AuthState auth = Auth();
  const std::string repo = RepoOfScopes(scopes);
  if (auth.scheme == "basic") {
    OCIB_ASSIGN_OR_RETURN(Credential cred, GetCredential(repo));
    if (cred.username.empty()) return std::string();
    return "Basic " + Base64Encode(cred.username + ":" + cred.password);
  }
  if (auth.scheme != "bearer") return std::string();
  std::lock_guard<std::mutex> lock(token_mu_);
  // Tokens are asked with the repository's credential: one per user.
  OCIB_ASSIGN_OR_RETURN(Credential cred, GetCredential(repo));
  std::string key = cred.username + "|" + ScopeKey(scopes);
  auto it = tokens_.find(key);
  if (!refresh && it != tokens_.end() && it->second.expiry > Clock::now()) {
    return "Bearer " + it->second.value;
  }
  OCIB_ASSIGN_OR_RETURN(Token t, FetchToken(auth, scopes));
  tokens_[key] = t;
  return "Bearer " + t.value;
}

Error Impl::HttpError(const Call& call, const HttpResponse& r) {
  std::string msg = fmt::format("{} {}: {}", call.method, RedactUrl(call.url), r.status);
  std::string body = registry::DescribeBody(r);
  if (!body.empty()) msg += ": " + body;
  if (r.status == 401 || r.status == 403) {
    const std::string repo = RepoOfUrl(call.url);
    auto cred = GetCredential(repo);
    const bool write = call.method != "GET" && call.method != "HEAD";
    const bool scope = r.status == 403 || InsufficientScope(r);
    msg += scope ? NotAllowed(cred ? *cred : Credential{}, registry_, repo, write)
                 : NoOrRejectedCredentials(cred ? *cred : Credential{}, registry_);
    if (scope) return {ErrorCode::kPermissionDenied, msg};
  }
  return {registry::CodeForStatus(r.status), msg};
}

std::optional<std::chrono::milliseconds> Impl::RetryDelay(const HttpResult& r, int attempt,
                                                          Clock::time_point start,
                                                          bool replayable) {
  const RetryPolicy& policy = options_.retry;
  bool retryable = r ? IsRetryableStatus(r->status) : r.retryable();
  if (!retryable || !replayable || attempt >= policy.max_attempts ||
      Clock::now() - start > policy.max_total) {
    return std::nullopt;
  }
  std::chrono::milliseconds delay = policy.Backoff(attempt, Random01());
  if (r && (r->status == 429 || r->status == 503)) {
    if (auto after = ParseRetryAfter(r->Header("retry-after"), Now())) {
      delay = std::min(*after, policy.max_retry_after);
    }
  }
  return delay;
}

HttpResult Impl::Send(Call& call, const std::vector<std::string>& scopes_in) {
  OCIB_RETURN_IF_ERROR(Ping());
  std::vector<std::string> scopes = scopes_in;
  auto start = Clock::now();
  bool refreshed = false;
  bool need_refresh = false;
  for (int attempt = 1;; ++attempt) {
    OCIB_ASSIGN_OR_RETURN(std::string authz, AuthorizationFor(scopes, need_refresh));
    need_refresh = false;
    HttpResult r = SendFollowingRedirects(call, authz);
    if (r && r->status == 401 && !refreshed && AnswerChallenge(*r, scopes)) {
      // Expired or revoked token, a narrower scope, or a challenge not
      // announced by /v2/: new credentials, one retry. Bodies are
      // replayable: `body` is a string and `body_source` reopens its data.
      refreshed = true;
      need_refresh = true;
      Log(fmt::format("401 from {}; retrying with new credentials", RedactUrl(call.url)));
      --attempt;
      continue;
    }
    std::optional<std::chrono::milliseconds> delay = RetryDelay(r, attempt, start, call.retry);
    if (!delay) return r;
    Log(fmt::format("retrying {} {} in {} ms after {}", call.method, RedactUrl(call.url),
                    delay->count(), r ? std::to_string(r->status) : r.error().message()));
    Sleep(*delay);
  }
}

HttpResult Impl::SendFollowingRedirects(const Call& call, const std::string& authz) {
  std::string url = call.url;
  std::string method = call.method;
  bool send_body = true;
  for (int hop = 0; hop <= 5; ++hop) {
    HttpRequest req;
    req.method = method;
    req.url = url;
    req.headers = call.headers;
    bool same_host = HostOfUrl(url) == HostOfUrl(base_);
    if (!authz.empty() && same_host) req.headers.push_back({"Authorization", authz});
    if (send_body) {
      req.body = call.body;
      req.body_source = call.body_source;
      req.body_size = call.body_size;
    }
    req.sink = call.sink;
    req.on_response_start = call.on_response_start;
    req.max_body_bytes = call.max_body_bytes;
    req.verify_tls = !(insecure_ && same_host);
    HttpResult r = RoundTrip(std::move(req));
    if (!r) return r;
    int s = r->status;
    if ((s == 301 || s == 302 || s == 303 || s == 307 || s == 308) &&
        !r->Header("location").empty()) {
      url = registry::ResolveLocation(url, r->Header("location"));
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
               fmt::format("{} {}: too many redirects", call.method, RedactUrl(call.url)));
}

RegistrySessions::RegistrySessions() : impl_(std::make_unique<Impl>()) {}
RegistrySessions::~RegistrySessions() = default;

std::shared_ptr<registry::SharedSession> RegistrySessions::Impl::For(const std::string& registry) {
  std::lock_guard<std::mutex> lock(mu_);
  std::shared_ptr<registry::SharedSession>& s = sessions_[registry];
  if (!s) s = std::make_shared<registry::SharedSession>();
  return s;
}

namespace registry {

BlobLocations::Plan BlobLocations::Acquire(const Digest& digest, const std::string& repo) {
  std::unique_lock<std::mutex> lock(mu_);
  while (true) {
    auto it = repos_.find(digest);
    if (it != repos_.end() && !it->second.empty()) {
      if (std::ranges::find(it->second, repo) != it->second.end()) return {Kind::kPresent, ""};
      return {Kind::kMount, it->second.front()};
    }
    if (!uploading_.contains(digest)) break;
    cv_.wait(lock);
  }
  uploading_.insert(digest);
  return {Kind::kUpload, ""};
}

void BlobLocations::Done(const Digest& digest, const std::string& repo, bool claimed) {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (!repo.empty()) {
      std::vector<std::string>& repos = repos_[digest];
      if (std::ranges::find(repos, repo) == repos.end()) repos.push_back(repo);
    }
    if (claimed) uploading_.erase(digest);
  }
  if (claimed) cv_.notify_all();
}

}  // namespace registry

}  // namespace ocib
