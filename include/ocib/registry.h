// File: ocib/registry.h
//
// A client for one registry speaking the OCI distribution API (v2).
//
// Transport and scheme: HTTPS with certificate verification, trusting the
// system bundle ($SSL_CERT_FILE), `ca_file` and the registry's certs.d
// directory (`cert_dirs`), which may also hold its client certificate. A
// registry listed in `insecure_registries` (host or host:port) may be
// reached over plain HTTP, or over HTTPS without verification. localhost,
// 127.0.0.0/8 and [::1] fall back to plain HTTP when the peer does not speak
// TLS (never when its certificate fails verification).
//
// Auth: the first request pings `/v2/` (HEAD) and reads the challenge:
//  - none: anonymous;
//  - Basic: `Authorization: Basic` from the keychain, to the registry host only;
//  - Bearer: a token from `realm?service=...&scope=...` (Basic credentials to
//    the realm, or anonymous), cached per scope set until `expires_in`
//    (default and minimum 60 s) runs out. A 401 on a request made with a
//    token refreshes it once (adding the scope named by
//    `error="insufficient_scope"`) and retries once.
// A 401 with a challenge that /v2/ did not announce (a registry that answers
// /v2/ anonymously but challenges on repositories, or names another realm)
// is followed: a token for the scope or Basic credentials, one retry, and
// that scheme is used from then on. Challenges from other hosts (redirect
// targets) are ignored.
// Authorization is never sent to another host after a redirect; redirects
// are followed (5 at most) by this client, not by the transport.
//
// Retries: 408, 429 and 503 (honouring Retry-After, capped), other 5xx and
// transport failures of a retryable kind (connect, timeout, reset; see
// TransportFailure) are retried with exponential backoff and equal jitter,
// bounded by `RetryPolicy`. Requests whose body cannot be replayed are not
// retried; a failed upload restarts its upload session instead.
//
// Limits: manifests and indexes are read up to 4 MiB, token answers up to
// 1 MiB, referrers pages up to 8 MiB (an announced larger Content-Length is
// refused before reading, a transfer that goes beyond is aborted;
// kInvalidArgument); error bodies are read up to 64 KiB.
//
// Uploads: a registry's OCI-Chunk-Min-Length and OCI-Chunk-Max-Length
// (on the POST answer) bound the chunk size; a chunk refused with 413 or
// 416 is never sent again unchanged: the limit named in the refusal (or
// half the chunk) is used from where the registry says it is (GET on the
// upload location). A mount answered 202 with a Location continues in the
// upload session the registry opened.
//
// Errors name the request: "PUT https://host/v2/app/manifests/1: 401
// UNAUTHORIZED: authentication required (credentials for host rejected)",
// with URLs redacted. Codes: 401 kUnauthenticated, 403 kPermissionDenied,
// 404 kNotFound, 408/429/5xx and network kUnavailable, digest or size
// mismatch kDataLoss.
//
// Thread safety: a RegistryClient may be used from several threads.
#ifndef OCIB_INCLUDE_OCIB_REGISTRY_H_
#define OCIB_INCLUDE_OCIB_REGISTRY_H_

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ocib/auth.h"
#include "ocib/blob_store.h"
#include "ocib/descriptor.h"
#include "ocib/export.h"
#include "ocib/http.h"
#include "ocib/io.h"
#include "ocib/progress.h"
#include "ocib/status.h"

namespace ocib {

struct OCIB_EXPORT RetryPolicy {
  // Attempts per request, the first included. The defaults wait at least
  // 11.75 s in all before giving up: a registry restarting for 10 s is
  // survived.
  int max_attempts = 7;
  std::chrono::milliseconds initial_backoff{500};
  std::chrono::milliseconds max_backoff{8000};
  // Retry-After values above this are clamped to it.
  std::chrono::milliseconds max_retry_after{30000};
  // No retry starts after this much time since the first attempt.
  std::chrono::milliseconds max_total{120000};

  // The delay before attempt `attempt` (1 = the first retry): with
  // c = min(max_backoff, initial_backoff * 2^(attempt-1)), a uniformly
  // random value in [c/2, c] ("equal jitter": spread out, yet growing),
  // where `random01` is in [0, 1).
  std::chrono::milliseconds Backoff(int attempt, double random01) const;
};

// Whether an HTTP status is worth retrying (408, 429, 5xx except 501/505).
OCIB_EXPORT bool IsRetryableStatus(int status);
// Parses Retry-After (delta seconds or an IMF-fixdate HTTP-date, relative
// to `now`); nullopt when absent or malformed; a past date yields 0; values
// are capped at one day.
OCIB_EXPORT std::optional<std::chrono::milliseconds> ParseRetryAfter(
    std::string_view value, std::chrono::system_clock::time_point now);

class RegistrySessions;

struct OCIB_EXPORT RegistryOptions {
  // Defaults: MakeCurlTransport({ca_file, log}) and MakeDefaultKeychain().
  std::shared_ptr<HttpTransport> transport;
  std::shared_ptr<Keychain> keychain;
  // Hosts ("host" or "host:port") that may use plain HTTP or unverified TLS.
  std::vector<std::string> insecure_registries;
  // Extra trusted CA bundle for the default transport.
  std::string ca_file;
  // Per-host CA and client certificate directories for the default
  // transport (DIR/HOST[:PORT]/ca.crt, client.cert + client.key; see
  // HttpTransportOptions::cert_dirs). Default: DefaultCertDirs(), i.e.
  // $OCIB_CERTS_D_DIRS, or the user's containers certs.d,
  // /etc/containers/certs.d and /etc/docker/certs.d.
  std::vector<std::string> cert_dirs = DefaultCertDirs();
  RetryPolicy retry;
  // Verbose log lines (requests, retries); secrets never appear. Optional.
  // Called from several threads, but never concurrently by one client.
  std::function<void(std::string_view)> log;
  // Progress lines ("pushed sha256:... 12.3 MiB"), one per blob and
  // manifest. Optional; Push, Pull and Copy never call it concurrently.
  std::function<void(std::string_view)> progress;
  // Per-blob events (ocib/progress.h): plans, bytes moved, and what was
  // done with each blob.
  TransferEvents events;
  // Repositories of a push's destination registry that may hold its blobs
  // (the CLI's --mount-from): a blob the destination lacks and that has no
  // mount source of its own is mounted from the first of them that is not
  // the destination (one HEAD and one POST; a refused mount uploads into
  // the session the registry opened). Across runs, as RegistrySessions does
  // within one.
  std::vector<std::string> mount_from;
  // Parallel blob transfers.
  int jobs = 4;
  // Blobs at least this large are uploaded in chunks of `chunk_size`
  // (PATCH with Content-Range); smaller ones with one PUT. A registry's
  // OCI-Chunk-Min-Length raises the chunk size and forces chunking.
  int64_t chunk_threshold = int64_t{256} << 20;
  int64_t chunk_size = int64_t{16} << 20;
  // Deadlines of every request: it fails (and may be retried) when it moves
  // less than 1 KiB/s for `stall_timeout`, or takes longer than
  // `request_timeout` in all. Zero: no such deadline.
  std::chrono::seconds stall_timeout{60};
  std::chrono::seconds request_timeout{3600};
  // The referrers fallback tag "sha256-<hex>" of a subject holds something
  // other than an image index: false refuses to add referrers there
  // (kAlreadyExists, naming what is there), true replaces it.
  bool replace_referrers_tag = false;
  // When every destination tag already names the image being pushed, the
  // push is done once its referrers are known to be there too, checked
  // this way:
  //   kEach: one HEAD per referrer; those missing are pushed (the default:
  //          a source may have gained referrers, e.g. signatures, since the
  //          last push or copy).
  //   kLast: only the last referrer in push order. Exact for a pusher that
  //          sends referrers one after another and moves the tag after
  //          them, as ocib does, when the referrers are its own: a build's
  //          SBOMs (BuildImage uses it unless told kEach).
  //   kNone: the tag alone (for referrers known to be there).
  enum class ReferrerCheck { kEach, kLast, kNone };
  ReferrerCheck check_referrers = ReferrerCheck::kEach;
  // A directory where pushes record, per repository, the roots they
  // completed and the referrers pushed with each (one small file per
  // repository). With kLast, a destination whose tags already name the
  // root and whose last referrer the record lists is done after the tags'
  // HEADs: a warm re-run on the machine that pushed costs one request per
  // tag. Empty: no record (the default; BuildImage uses its cache
  // directory's "pushed" subdirectory unless the cache is off).
  std::string push_record_dir;
  // Replaces std::this_thread::sleep_for (tests).
  std::function<void(std::chrono::milliseconds)> sleep;
  // Replaces std::chrono::system_clock::now for Retry-After dates (tests).
  std::function<std::chrono::system_clock::time_point()> now;
  // Shared by the clients of one run (see RegistrySessions); null: each
  // client has its own session.
  std::shared_ptr<RegistrySessions> sessions;
};

// What the clients of one run (e.g. the images of a build file pushed in
// parallel) share per registry: the scheme and auth challenge of one /v2/
// probe, the credentials, bearer tokens per scope set, the HTTP transport
// (its connections, when RegistryOptions::transport is not set) and which
// repositories hold which blobs. A blob a client pushed, mounted, found
// (HEAD) or fetched in repository R is then:
//  - in R: skipped without a request;
//  - elsewhere in the registry: mounted from R (one POST, no HEAD), or
//    uploaded in the session a refused mount opens;
//  - being uploaded by another client: waited for, then mounted.
// So within a run each blob crosses the network to a registry once.
// Thread-safe; give every client of the run the same object.
class OCIB_EXPORT RegistrySessions {
 public:
  RegistrySessions();
  ~RegistrySessions();
  RegistrySessions(const RegistrySessions&) = delete;
  RegistrySessions& operator=(const RegistrySessions&) = delete;

  class Impl;
  Impl& impl() { return *impl_; }

 private:
  std::unique_ptr<Impl> impl_;
};

// A manifest or index as the registry served it.
struct OCIB_EXPORT RemoteManifest {
  std::string media_type;
  Digest digest;
  std::string bytes;
};

// Opens `length` bytes of a blob starting at `offset`, for (re)uploads.
using BlobOpener = std::function<Result<std::unique_ptr<Reader>>(int64_t offset, int64_t length)>;

class OCIB_EXPORT RegistryClient {
 public:
  // A client for `registry`, a reference's domain ("docker.io" is served
  // by registry-1.docker.io). Nothing is sent before the first call.
  static Result<std::unique_ptr<RegistryClient>> Create(const std::string& registry,
                                                        RegistryOptions options);
  ~RegistryClient();
  RegistryClient(const RegistryClient&) = delete;
  RegistryClient& operator=(const RegistryClient&) = delete;

  const std::string& registry() const;
  const RegistryOptions& options() const;

  // Declares which repositories the following calls touch and how, so
  // that one bearer token covers them: `push` repositories get
  // "pull,push", `pull_from` repositories (mount sources) "pull".
  void SetScopes(std::vector<std::string> push, std::vector<std::string> pull_from);

  // HEAD a blob: its descriptor (digest, size) or nullopt when absent.
  Result<std::optional<Descriptor>> StatBlob(const std::string& repo, const Digest& digest);
  // HEAD a manifest by tag or digest: nullopt when absent.
  Result<std::optional<Descriptor>> StatManifest(const std::string& repo,
                                                 const std::string& reference);
  // GET a manifest or index (Accept: OCI and Docker manifest and index).
  // Verifies Docker-Content-Digest and, for a digest reference, the bytes.
  Result<RemoteManifest> GetManifest(const std::string& repo, const std::string& reference);
  // GET a blob into `store`, verifying size and digest while streaming;
  // committed under `blob.digest` with `blob.media_type`. Transfers cut
  // short are retried; kDataLoss on a mismatch (nothing is stored).
  Status FetchBlob(const std::string& repo, const Descriptor& blob, BlobStore& store);
  // GET a blob into `sink`, dropping its first `offset` bytes; unverified
  // and not retried (the caller verifies, e.g. the destination registry on
  // PUT ?digest=, and reopens on failure).
  Status ReadBlob(const std::string& repo, const Digest& digest, int64_t offset, Writer& sink);
  // Uploads a blob unless present: HEAD, then a cross-repository mount
  // from `mount_from` (when set and different from `repo`; a 202 answer's
  // upload session is used for the upload), then POST + PUT ?digest= (or
  // chunked PATCHes). With RegistryOptions::sessions, what the run knows
  // comes first (see RegistrySessions): no request for a blob known in
  // `repo`, a mount without HEAD for one known in another repository.
  // Returns true when bytes were uploaded or mounted, false when present.
  Result<bool> PushBlob(const std::string& repo, const Descriptor& blob, const BlobOpener& open,
                        const std::string& mount_from = "");
  // PushBlob, telling what it did: kUploaded, kMounted or kExisted.
  Result<BlobAction> PushBlobAction(const std::string& repo, const Descriptor& blob,
                                    const BlobOpener& open, const std::string& mount_from = "");
  // PUT a manifest or index under a tag or digest with Content-Type
  // `media_type`, exactly `bytes`. Returns the digest of the bytes; a
  // Docker-Content-Digest that differs is kDataLoss. When `oci_subject` is
  // given it receives the response's OCI-Subject header: the subject digest
  // when the registry processed the manifest's `subject` (it has the
  // referrers API), "" otherwise.
  Result<Digest> PutManifest(const std::string& repo, const std::string& reference,
                             const std::string& media_type, const std::string& bytes,
                             std::string* oci_subject = nullptr);
  // GET /v2/<repo>/referrers/<subject> (with ?artifactType= when
  // `artifact_type` is not empty), following Link rel="next" pages (100 at
  // most): the descriptors the registry lists, unfiltered. nullopt when the
  // registry has no referrers API: it answers 404, or 200 with something
  // that is not an OCI image index. Other statuses are errors as above.
  Result<std::optional<std::vector<Descriptor>>> ListReferrers(const std::string& repo,
                                                               const Digest& subject,
                                                               const std::string& artifact_type);

  // GET /v2/<repo>/tags/list (with ?n=`page_size` when it is positive),
  // following Link rel="next" pages (`?n=&last=`, on the same host; 10000
  // pages at most): every tag, in the registry's order, each once.
  // kNotFound when the registry does not know the repository (404).
  Result<std::vector<std::string>> ListTags(const std::string& repo, int page_size = 0);
  // DELETE /v2/<repo>/manifests/<reference>: a digest (the registry drops
  // the manifest and every tag naming it), or a tag where the registry
  // supports deleting tags. Asks for the "delete" action on token
  // registries. kNotFound on 404; kPermissionDenied on 403, and on 405 or an
  // UNSUPPORTED error code, a registry that forbids deletion (e.g.
  // docker-registry without `storage: delete: enabled: true`), said so in
  // the message; kInvalidArgument on 400 (docker-registry 2.8 answers a tag
  // so: DIGEST_INVALID).
  Status DeleteManifest(const std::string& repo, const std::string& reference);

  // Checks that the keychain's credentials are accepted (`ocib login`):
  // Basic registries must answer /v2/ with 200, token registries must issue
  // a token. kUnauthenticated naming the registry otherwise. A registry that
  // answers /v2/ anonymously gives nothing to check against: Ok.
  Status CheckCredentials();

  // Requests sent so far, by method (for tests and --verbose summaries).
  std::map<std::string, int> RequestCounts() const;

  class Impl;

 private:
  explicit RegistryClient(std::unique_ptr<Impl> impl);
  std::unique_ptr<Impl> impl_;
};

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_REGISTRY_H_
