// RegistryClient::PushBlob: HEAD, cross-repository mount, then an upload
// session (POST), monolithic (PUT ?digest=) or chunked (PATCH with
// Content-Range), recovering from refused chunks and restarting failed
// sessions.
#include <algorithm>
#include <array>
#include <cctype>

#include <fmt/format.h>

#include "ocib/registry.h"

#include "lib/registry/session.h"

namespace ocib {
namespace {

using Impl = RegistryClient::Impl;
using registry::ResolveLocation;
using registry::UrlEncode;
using registry::WithQuery;
using Clock = std::chrono::steady_clock;

bool IsUploadRestartable(const HttpResponse& r) {
  return IsRetryableStatus(r.status) || registry::BodyHasCode(r, "BLOB_UPLOAD_UNKNOWN") ||
         registry::BodyHasCode(r, "BLOB_UPLOAD_INVALID") ||
         registry::BodyHasCode(r, "DIGEST_INVALID") || registry::BodyHasCode(r, "SIZE_INVALID") ||
         r.status == 416;
}

// A non-negative decimal header value, or -1.
int64_t HeaderNumber(const HttpResponse& r, std::string_view name) {
  std::string v = r.Header(name);
  if (v.empty() || v.size() > 18 ||
      !std::ranges::all_of(v, [](char c) { return c >= '0' && c <= '9'; })) {
    return -1;
  }
  return std::stoll(v);
}

// The chunk size limit a refusal names: an OCI-Chunk-Max-Length header, or
// a message that speaks of a limit ("chunk too large: at most 1048576
// bytes"): its largest number below `refused` (the size of the refused
// chunk) and above 0, or -1.
int64_t LimitInRefusal(const HttpResponse& r, int64_t refused) {
  int64_t header = HeaderNumber(r, "oci-chunk-max-length");
  if (header > 0 && header < refused) return header;
  std::string text = registry::DescribeBody(r);
  std::string lower = text;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  static constexpr std::array<std::string_view, 5> kWords = {"max", "limit", "large", "exceed",
                                                             "at most"};
  if (std::ranges::none_of(
          kWords, [&](std::string_view w) { return lower.find(w) != std::string::npos; })) {
    return -1;
  }
  int64_t best = -1;
  for (size_t i = 0; i < text.size();) {
    if (!std::isdigit(static_cast<unsigned char>(text[i]))) {
      ++i;
      continue;
    }
    size_t j = i;
    while (j < text.size() && std::isdigit(static_cast<unsigned char>(text[j]))) ++j;
    if (j - i <= 18) {
      int64_t n = std::stoll(text.substr(i, j - i));
      if (n > 0 && n < refused) best = std::max(best, n);
    }
    i = j;
  }
  return best;
}

// The end (exclusive) of what an upload holds, from a Range header
// "0-<last>"; `fallback` when there is none. "0-0" is ambiguous (empty or
// one byte): trusted as one byte only when bytes were sent.
int64_t UploadedEnd(const HttpResponse& r, int64_t fallback) {
  std::string range = r.Header("range");
  size_t dash = range.find('-');
  if (dash == std::string::npos) return fallback;
  int64_t end = std::atoll(range.c_str() + dash + 1);
  return (end <= 0 && fallback == 0) ? 0 : end + 1;
}

// How one step of an upload went.
struct Step {
  Status status;
  bool restart = false;  // a new upload session may succeed
  bool created = false;  // the closing PUT answered 201 Created
};

Step StepFailed(Impl& impl, const Impl::Call& call, const HttpResult& r) {
  Step out;
  if (r) {
    out.restart = IsUploadRestartable(*r);
    out.status = impl.HttpError(call, *r);
  } else {
    out.restart = r.retryable();
    out.status = r.error();
  }
  return out;
}

// One blob upload: sessions, chunks, recovery.
class BlobUpload {
 public:
  BlobUpload(Impl& impl, const std::string& repo, const Descriptor& blob, const BlobOpener& open)
      : impl_(impl),
        repo_(repo),
        blob_(blob),
        open_(open),
        scopes_(impl.ScopesFor(repo, true)),
        chunk_(impl.options_.chunk_size > 0 ? impl.options_.chunk_size : int64_t{16} << 20) {}

  // Uploads, starting with the session the 202 answer `opened` (to a mount
  // request) opened, when given.
  Result<bool> Run(std::optional<HttpResponse> opened);
  // Whether the registry mounted the blob (201); `opened` receives a 202
  // answer that carries an upload session.
  Result<bool> Mount(const std::string& from, std::optional<HttpResponse>* opened);

 private:
  // Starts a session from a POST (or mount) answer.
  void Begin(const HttpResponse& r);
  Step Attempt();
  Step SendChunks();
  // PATCHes [offset, offset + len); on success advances `offset_`.
  Step Patch(int64_t len, bool* refused, HttpResult* answer);
  // After a refused chunk: learns the registry's limit and position.
  Step Recover(int64_t refused_len, const HttpResult& answer, int* recoveries);
  Step Close(bool with_body);
  void Abandon();

  Impl& impl_;
  const std::string& repo_;
  const Descriptor& blob_;
  const BlobOpener& open_;
  std::vector<std::string> scopes_;
  int64_t chunk_;
  int64_t min_chunk_ = 0;
  bool chunked_ = false;
  std::string location_;
  int64_t offset_ = 0;
};

Result<bool> BlobUpload::Mount(const std::string& from, std::optional<HttpResponse>* opened) {
  auto scopes = scopes_;
  std::string s = "repository:" + from + ":pull";
  if (std::ranges::find(scopes, s) == scopes.end()) scopes.push_back(s);
  Impl::Call call;
  call.method = "POST";
  call.url = impl_.Url(fmt::format("/v2/{}/blobs/uploads/?mount={}&from={}", repo_,
                                   UrlEncode(blob_.digest.ToString()), UrlEncode(from)));
  HttpResult r = impl_.Send(call, scopes);
  if (r && r->status == 201) {
    impl_.Log(fmt::format("mounted {} from {}", blob_.digest.ToString(), from));
    return true;
  }
  // Not mountable here; a 202 with a Location is an upload session the
  // registry opened instead: it is used for the upload.
  if (r && r->status == 202 && !r->Header("location").empty()) *opened = std::move(*r);
  return false;
}

void BlobUpload::Begin(const HttpResponse& r) {
  location_ = ResolveLocation(r.Header("x-ocib-final-url"), r.Header("location"));
  offset_ = 0;
  int64_t min_chunk = HeaderNumber(r, "oci-chunk-min-length");
  int64_t max_chunk = HeaderNumber(r, "oci-chunk-max-length");
  if (min_chunk > 0) min_chunk_ = min_chunk;
  chunked_ = chunked_ || blob_.size >= impl_.options_.chunk_threshold || min_chunk_ > 0;
  chunk_ = std::max(chunk_, min_chunk_);
  if (max_chunk > 0 && max_chunk < chunk_) chunk_ = max_chunk;
  // A registry that bounds chunks may bound a monolithic PUT too.
  if (max_chunk > 0 && blob_.size > max_chunk) chunked_ = true;
}

Result<bool> BlobUpload::Run(std::optional<HttpResponse> opened) {
  const RetryPolicy& policy = impl_.options_.retry;
  auto start = Clock::now();
  for (int attempt = 1;; ++attempt) {
    if (opened) {
      Begin(*opened);
      opened.reset();
    } else {
      Impl::Call post;
      post.method = "POST";
      post.url = impl_.Url("/v2/" + repo_ + "/blobs/uploads/");
      OCIB_ASSIGN_OR_RETURN(HttpResponse pr, impl_.Send(post, scopes_));
      if (pr.status != 202 || pr.Header("location").empty()) return impl_.HttpError(post, pr);
      Begin(pr);
    }
    Step step = Attempt();
    if (step.status) return true;
    Abandon();
    if (!step.restart || attempt >= policy.max_attempts ||
        Clock::now() - start > policy.max_total) {
      return std::move(step.status).error();
    }
    impl_.Log(fmt::format("restarting upload of {}: {}", blob_.digest.ToString(),
                          step.status.error().message()));
    impl_.Sleep(policy.Backoff(attempt, impl_.Random01()));
  }
}

// One session: chunks or a monolithic PUT, then a check that the blob is
// there unless the registry said 201.
Step BlobUpload::Attempt() {
  Step step;
  if (chunked_) step = SendChunks();
  if (!step.status) return step;
  step = Close(!chunked_);
  if (!step.status || step.created) return step;
  // Some registries answer 200/204; the blob must now exist.
  Impl::Call head;
  head.method = "HEAD";
  head.url = impl_.Url("/v2/" + repo_ + "/blobs/" + blob_.digest.ToString());
  HttpResult r = impl_.Send(head, impl_.ScopesFor(repo_, false));
  if (r && r->status == 200) return step;
  if (!r || r->status != 404) return StepFailed(impl_, head, r);
  return {Error(ErrorCode::kUnavailable,
                fmt::format("blob {} missing after a successful upload", blob_.digest.ToString())),
          true};
}

Step BlobUpload::SendChunks() {
  int recoveries = 0;
  while (offset_ < blob_.size) {
    int64_t len = std::min(chunk_, blob_.size - offset_);
    bool refused = false;
    HttpResult answer = Error(ErrorCode::kInternal, "not sent");
    Step step = Patch(len, &refused, &answer);
    if (!step.status) return step;
    if (refused) {
      step = Recover(len, answer, &recoveries);
      if (!step.status) return step;
    }
  }
  return {};
}

Step BlobUpload::Patch(int64_t len, bool* refused, HttpResult* answer) {
  Impl::Call patch;
  patch.method = "PATCH";
  patch.url = location_;
  patch.retry = false;
  patch.headers = {{"Content-Type", "application/octet-stream"},
                   {"Content-Range", fmt::format("{}-{}", offset_, offset_ + len - 1)}};
  int64_t off = offset_;
  const BlobOpener& open = open_;
  patch.body_source = [&open, off, len] { return open(off, len); };
  patch.body_size = len;
  *answer = impl_.Send(patch, scopes_);
  HttpResult& r = *answer;
  if (r && (r->status == 202 || r->status == 201 || r->status == 204)) {
    if (!r->Header("location").empty()) {
      location_ = ResolveLocation(r->Header("x-ocib-final-url"), r->Header("location"));
    }
    offset_ += len;
    return {};
  }
  bool recoverable =
      !r ? r.retryable() : (r->status == 416 || r->status == 413 || IsRetryableStatus(r->status));
  if (!recoverable) return StepFailed(impl_, patch, r);
  *refused = true;
  return {};
}

Step BlobUpload::Recover(int64_t refused_len, const HttpResult& answer, int* recoveries) {
  const RetryPolicy& policy = impl_.options_.retry;
  if (++*recoveries > policy.max_attempts) {
    Impl::Call patch;
    patch.method = "PATCH";
    patch.url = location_;
    return StepFailed(impl_, patch, answer);
  }
  bool too_large = answer && (answer->status == 416 || answer->status == 413);
  int64_t limit = too_large ? LimitInRefusal(*answer, refused_len) : -1;
  if (limit > 0) {
    impl_.Log(fmt::format("registry limits chunks to {} bytes", limit));
    chunk_ = std::min(chunk_, limit);
  }
  if (!too_large) impl_.Sleep(policy.Backoff(*recoveries, impl_.Random01()));
  // Ask the registry how much it has and resume from there.
  Impl::Call status;
  status.method = "GET";
  status.url = location_;
  HttpResult sr = impl_.Send(status, scopes_);
  if (!sr || sr->status != 204) {
    Step out = StepFailed(impl_, status, sr);
    out.restart = true;
    return out;
  }
  if (!sr->Header("location").empty()) {
    location_ = ResolveLocation(sr->Header("x-ocib-final-url"), sr->Header("location"));
  }
  int64_t before = offset_;
  offset_ = UploadedEnd(*sr, offset_);
  // A chunk refused as a whole (the registry is where it was) is never sent
  // again unchanged: without a stated limit it is halved.
  if (too_large && offset_ == before && limit <= 0) chunk_ = std::max<int64_t>(1, refused_len / 2);
  if (chunk_ < min_chunk_) {
    return {Error(ErrorCode::kUnavailable,
                  fmt::format("PATCH {}: registry refuses chunks of {} bytes and needs at least {}",
                              RedactUrl(location_), refused_len, min_chunk_)),
            false};
  }
  impl_.Log(fmt::format("resuming upload of {} at byte {} in chunks of {}", blob_.digest.ToString(),
                        offset_, chunk_));
  return {};
}

// Closes the upload session with PUT ?digest=, carrying the whole blob (a
// monolithic upload) when `with_body`, no body otherwise.
Step BlobUpload::Close(bool with_body) {
  Impl::Call put;
  put.method = "PUT";
  put.url = WithQuery(location_, "digest=" + UrlEncode(blob_.digest.ToString()));
  put.retry = false;  // the session is restarted instead
  if (with_body) {
    put.headers = {{"Content-Type", "application/octet-stream"}};
    int64_t size = blob_.size;
    const BlobOpener& open = open_;
    put.body_source = [&open, size] { return open(0, size); };
    put.body_size = size;
  }
  HttpResult r = impl_.Send(put, scopes_);
  if (r && (r->status == 201 || r->status == 200 || r->status == 204)) {
    Step out;
    out.created = r->status == 201;
    return out;
  }
  return StepFailed(impl_, put, r);
}

// Abandons the session (best effort).
void BlobUpload::Abandon() {
  Impl::Call del;
  del.method = "DELETE";
  del.url = location_;
  del.retry = false;
  (void)impl_.Send(del, scopes_);
}

}  // namespace

namespace {

// HEAD (unless `skip_stat`), a mount from `mount_from`, then an upload.
Result<BlobAction> PushBlobOnce(RegistryClient& client, Impl& impl, const std::string& repo,
                                const Descriptor& blob, const BlobOpener& open,
                                const std::string& mount_from, bool skip_stat) {
  if (!skip_stat) {
    OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> existing, client.StatBlob(repo, blob.digest));
    if (existing) return BlobAction::kExisted;
  }
  OCIB_RETURN_IF_ERROR(impl.Ping());
  BlobUpload upload(impl, repo, blob, open);
  std::optional<HttpResponse> opened;
  if (!mount_from.empty() && mount_from != repo) {
    OCIB_ASSIGN_OR_RETURN(bool mounted, upload.Mount(mount_from, &opened));
    if (mounted) return BlobAction::kMounted;
  }
  OCIB_ASSIGN_OR_RETURN(bool sent, upload.Run(std::move(opened)));
  return sent ? BlobAction::kUploaded : BlobAction::kExisted;
}

}  // namespace

Result<BlobAction> RegistryClient::PushBlobAction(const std::string& repo, const Descriptor& blob,
                                                  const BlobOpener& open,
                                                  const std::string& mount_from) {
  using Kind = registry::BlobLocations::Kind;
  registry::BlobLocations& known = impl_->shared_->blobs;
  registry::BlobLocations::Plan plan = known.Acquire(blob.digest, repo);
  if (plan.kind == Kind::kPresent) return BlobAction::kExisted;
  // A blob the run saw in another repository is mounted without a HEAD: a
  // mount answers 201 when `repo` already has it too.
  bool mount_known = plan.kind == Kind::kMount;
  Result<BlobAction> r = PushBlobOnce(*this, *impl_, repo, blob, open,
                                      mount_known ? plan.from : mount_from, mount_known);
  known.Done(blob.digest, r ? repo : "", plan.kind == Kind::kUpload);
  return r;
}

Result<bool> RegistryClient::PushBlob(const std::string& repo, const Descriptor& blob,
                                      const BlobOpener& open, const std::string& mount_from) {
  OCIB_ASSIGN_OR_RETURN(BlobAction a, PushBlobAction(repo, blob, open, mount_from));
  return a != BlobAction::kExisted;
}

}  // namespace ocib
