// The session of a RegistryClient with one registry: scheme probing, the
// auth challenge, the bearer token cache, redirects without credential
// leaks and the retry policy. The blob, manifest and tag operations
// (registry_client.cc, blob_upload.cc) send their requests through
// RegistryClient::Impl::Send.
#ifndef OCIB_LIB_REGISTRY_SESSION_H_
#define OCIB_LIB_REGISTRY_SESSION_H_

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <set>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/http.h"
#include "ocib/registry.h"

namespace ocib {
namespace registry {

// Bounds on what a registry may send (read while receiving).
inline constexpr int64_t kMaxManifestBytes = int64_t{4} << 20;
inline constexpr int64_t kMaxTokenBytes = int64_t{1} << 20;
inline constexpr int64_t kMaxReferrersPageBytes = int64_t{8} << 20;

extern const char* const kManifestAccept;

// The URL's host, lower-cased (host names compare case-insensitively).
std::string HostOfUrl(std::string_view url);
// "https://host:port" of an absolute URL.
std::string SchemeAndHost(std::string_view url);
// Resolves a Location header against the request URL (RFC 3986 §5.2, the
// cases registries use).
std::string ResolveLocation(const std::string& base, const std::string& loc);
std::string UrlEncode(std::string_view s);
std::string WithQuery(const std::string& url, const std::string& param);
// A Content-Type without its parameters.
std::string StripParams(const std::string& content_type);
// Every error of a distribution error body, "CODE: message (detail)" joined
// by "; ", or the first line of any other body.
std::string DescribeBody(const HttpResponse& r);
bool BodyHasCode(const HttpResponse& r, std::string_view code);
ErrorCode CodeForStatus(int status);

// The auth scheme in force: learnt from /v2/, or later from a 401.
struct AuthState {
  std::string scheme;  // "", "basic" or "bearer"
  std::string realm;   // bearer only
  std::string service;
};

struct Token {
  std::string value;
  std::chrono::steady_clock::time_point expiry;
};

// Which repositories of one registry hold which blobs, as learnt during a
// run, and which blobs a client is uploading right now.
class BlobLocations {
 public:
  enum class Kind { kPresent, kMount, kUpload };
  struct Plan {
    Kind kind = Kind::kUpload;
    std::string from;  // kMount: a repository holding the blob
  };
  // What to do to put `digest` into `repo`. Waits while another client
  // uploads the blob and no repository is known to hold it yet. kUpload
  // claims the upload: the caller must call Done() with the same digest.
  Plan Acquire(const Digest& digest, const std::string& repo);
  // `repo` holds `digest` (empty: unknown, e.g. the upload failed); ends a
  // claim of `digest` when `claimed`.
  void Done(const Digest& digest, const std::string& repo, bool claimed);
  // Records that `repo` holds `digest`.
  void Record(const Digest& digest, const std::string& repo) { Done(digest, repo, false); }

 private:
  std::mutex mu_;
  std::condition_variable cv_;
  std::map<Digest, std::vector<std::string>> repos_;
  std::set<Digest> uploading_;
};

// The part of a session shared by the clients of one registry in a run.
struct SharedSession {
  std::mutex ping_mu;
  bool pinged = false;
  std::string base;  // "https://host:port"
  std::mutex auth_mu;
  AuthState auth;
  std::mutex cred_mu;
  std::map<std::string, Credential> credentials;  // by repository ("": the registry)
  std::mutex token_mu;
  std::map<std::string, Token> tokens;
  std::shared_ptr<HttpTransport> transport;  // set once, under ping_mu
  BlobLocations blobs;
};

}  // namespace registry

class OCIB_NO_EXPORT RegistrySessions::Impl {
 public:
  // The shared session of `registry` (created on first use).
  std::shared_ptr<registry::SharedSession> For(const std::string& registry);

 private:
  std::mutex mu_;
  std::map<std::string, std::shared_ptr<registry::SharedSession>> sessions_;
};

// Not part of the API: hidden in a shared build although RegistryClient is
// exported.
class OCIB_NO_EXPORT RegistryClient::Impl {
 public:
  using Clock = std::chrono::steady_clock;

  Impl(std::string registry, RegistryOptions options);

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
    // The most 2xx body bytes accepted (-1: no limit).
    int64_t max_body_bytes = -1;
    // Whether Send may replay the request on a retryable failure.
    bool retry = true;
  };

  using AuthState = registry::AuthState;
  using Token = registry::Token;

  void Log(const std::string& line) const;
  void Sleep(std::chrono::milliseconds d) const;
  // The wall clock (RegistryOptions::now in tests).
  std::chrono::system_clock::time_point Now() const;
  double Random01();
  void Count(const std::string& method);

  // Decides the scheme and learns the auth challenge (once), with HEAD /v2/.
  Status Ping();
  // The same, sent as HEAD `path` with `headers` (the caller's own
  // request) instead of HEAD /v2/ when the registry has not been pinged
  // yet; when it answers 200 without credentials (conclusive: the
  // document is there, publicly), that answer is put in *answer and the
  // caller need not send its request again. Anything else (401, 404,
  // which a registry may answer to hide a private repository, 3xx, 5xx)
  // is only the ping.
  Status PingWithHead(const std::string& path, const std::vector<HttpHeader>& headers,
                      std::optional<HttpResponse>* answer);
  AuthState Auth();
  void SetAuth(AuthState auth);
  // The keychain's credential for `repo` ("": the registry), asked once.
  Result<Credential> GetCredential(const std::string& repo);
  std::vector<std::string> ScopesFor(const std::string& repo, bool push);
  // Fetches a bearer token for `scopes` from `auth`'s realm.
  Result<Token> FetchToken(const AuthState& auth, const std::vector<std::string>& scopes);
  // The Authorization header value for a request needing `scopes`.
  Result<std::string> AuthorizationFor(const std::vector<std::string>& scopes, bool refresh);

  // An error for the answer `r` to `call`, with the registry's words.
  Error HttpError(const Call& call, const HttpResponse& r);

  // Sends `call` with auth, redirects, the one-time token refresh and
  // retries. Any HTTP status is returned; only transport failures (after
  // retries) are errors.
  HttpResult Send(Call& call, const std::vector<std::string>& scopes_in);
  // The delay before retry `attempt` after `r`, or nullopt when `r` is
  // final (success, not retryable, or the policy's bounds are reached).
  std::optional<std::chrono::milliseconds> RetryDelay(const HttpResult& r, int attempt,
                                                      Clock::time_point start, bool replayable);

  std::string Url(const std::string& path) const { return base_ + path; }

  std::string registry_;
  std::string host_;
  RegistryOptions options_;
  bool insecure_ = false;

  // Own, or shared with the run's other clients (RegistryOptions::sessions);
  // the references below name its members.
  std::shared_ptr<registry::SharedSession> shared_;
  std::mutex& ping_mu_;
  bool& pinged_;
  std::string& base_;
  std::mutex& auth_mu_;
  AuthState& auth_;
  std::mutex& cred_mu_;
  std::map<std::string, Credential>& credentials_;
  std::mutex& token_mu_;
  std::map<std::string, Token>& tokens_;

  mutable std::mutex mu_;
  std::mt19937_64 rng_{std::random_device{}()};
  std::map<std::string, int> counts_;
  std::vector<std::string> push_repos_;
  std::vector<std::string> pull_repos_;

 private:
  // Sends one request with the session's deadlines, counted under
  // `count_as` (default: its method).
  HttpResult RoundTrip(HttpRequest req, const char* count_as = nullptr);
  HttpResult ProbePlainHttp(HttpRequest& req, const std::string& path);
  HttpResult ProbeTls(HttpRequest& req, const std::string& path);
  HttpResult ProbeScheme(const std::string& path, const std::vector<HttpHeader>& headers,
                         HttpRequest& req);
  void LearnPingChallenge(const HttpResponse& r);
  bool AnswerChallenge(const HttpResponse& r, std::vector<std::string>& scopes);
  HttpRequest TokenRequest(const AuthState& auth, const Credential& cred,
                           const std::vector<std::string>& scopes) const;
  Result<Token> ParseTokenAnswer(const std::string& what, const HttpResponse& r,
                                 const Credential& cred,
                                 const std::vector<std::string>& scopes) const;
  HttpResult SendFollowingRedirects(const Call& call, const std::string& authz);
};

}  // namespace ocib

#endif  // OCIB_LIB_REGISTRY_SESSION_H_
