// RegistryClient: the blob, manifest and referrers operations of the
// distribution API, sent through the session (session.cc); uploads are in
// blob_upload.cc.
#include <algorithm>
#include <cctype>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/registry.h"

#include "lib/registry/session.h"

namespace ocib {
namespace {

using nlohmann::json;
using registry::HostOfUrl;
using registry::ResolveLocation;
using registry::StripParams;
using registry::UrlEncode;
using registry::WithQuery;
using Clock = std::chrono::steady_clock;

// Counts and hashes what passes into `next`, failing as soon as more than
// `limit` bytes arrive.
class VerifyingWriter : public Writer {
 public:
  VerifyingWriter(Writer* next, int64_t limit) : next_(next), limit_(limit) {}
  Status Write(const void* data, size_t size) override {
    count_ += static_cast<int64_t>(size);
    if (count_ > limit_) {
      return DataLoss(fmt::format("received more than the expected {} bytes", limit_));
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

}  // namespace

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
  impl_->shared_->blobs.Record(digest, repo);
  Descriptor d;
  d.digest = digest;
  std::string len = r.Header("content-length");
  d.size = len.empty() ? -1 : std::atoll(len.c_str());
  return std::optional<Descriptor>(d);
}

Result<std::optional<Descriptor>> RegistryClient::StatManifest(const std::string& repo,
                                                               const std::string& reference) {
  const std::string path = "/v2/" + repo + "/manifests/" + reference;
  Impl::Call call;
  call.method = "HEAD";
  call.headers.push_back({"Accept", registry::kManifestAccept});
  // The first request to a registry is its ping: a warm push's check of
  // its tag then costs one request, not two.
  std::optional<HttpResponse> answered;
  OCIB_RETURN_IF_ERROR(impl_->PingWithHead(path, call.headers, &answered));
  call.url = impl_->Url(path);
  HttpResponse r;
  if (answered) {
    r = std::move(*answered);
  } else {
    OCIB_ASSIGN_OR_RETURN(r, impl_->Send(call, impl_->ScopesFor(repo, false)));
  }
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
  call.headers.push_back({"Accept", registry::kManifestAccept});
  call.max_body_bytes = registry::kMaxManifestBytes;
  OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, false)));
  if (r.status != 200) return impl_->HttpError(call, r);
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
    return DataLoss(fmt::format("GET {}: Docker-Content-Digest {} does not match the content ({})",
                                RedactUrl(call.url), dcd, m.digest.ToString()));
  }
  if (reference.find(':') != std::string::npos && reference.rfind("sha256:", 0) == 0 &&
      reference != m.digest.ToString()) {
    return DataLoss(fmt::format("GET {}: content has digest {}, not {}", RedactUrl(call.url),
                                m.digest.ToString(), reference));
  }
  return m;
}

namespace {

// Verifies and commits a blob received whole into `verify`.
Status CommitFetched(const std::string& url, const Descriptor& blob, VerifyingWriter& verify,
                     BlobWriter& writer) {
  if (verify.count() != blob.size) {
    writer.Abort();
    return DataLoss(fmt::format("GET {}: received {} bytes, expected {}", RedactUrl(url),
                                verify.count(), blob.size));
  }
  Digest got = verify.Finish();
  if (got != blob.digest) {
    writer.Abort();
    return DataLoss(fmt::format("GET {}: content has digest {}, expected {}", RedactUrl(url),
                                got.ToString(), blob.digest.ToString()));
  }
  auto committed = writer.Commit(blob.media_type, blob.digest);
  if (!committed) return std::move(committed).error();
  return OkStatus();
}

}  // namespace

Status RegistryClient::FetchBlob(const std::string& repo, const Descriptor& blob,
                                 BlobStore& store) {
  OCIB_RETURN_IF_ERROR(impl_->Ping());
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
    HttpResult r = impl_->Send(call, impl_->ScopesFor(repo, false));
    if (r && r->status == 200) {
      OCIB_RETURN_IF_ERROR(CommitFetched(url, blob, verify, *writer));
      impl_->shared_->blobs.Record(blob.digest, repo);
      return OkStatus();
    }
    writer->Abort();
    auto delay = impl_->RetryDelay(r, attempt, start, true);
    if (!delay) return r ? impl_->HttpError(call, *r) : std::move(r).error();
    impl_->Log(fmt::format("retrying GET {} in {} ms: {}", RedactUrl(url), delay->count(),
                           r ? std::to_string(r->status) : r.error().message()));
    impl_->Sleep(*delay);
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
    return impl_->HttpError(call, r).With(fmt::format("pushing {} {} ({} bytes) as {}/{}:{}",
                                                      media_type, digest.ToString(), bytes.size(),
                                                      impl_->registry_, repo, reference));
  }
  std::string dcd = r.Header("docker-content-digest");
  if (!dcd.empty() && dcd.rfind("sha256:", 0) == 0 && dcd != digest.ToString()) {
    return DataLoss(fmt::format("PUT {}: registry stored digest {}, expected {}",
                                RedactUrl(call.url), dcd, digest.ToString()));
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
    call.max_body_bytes = registry::kMaxReferrersPageBytes;
    OCIB_ASSIGN_OR_RETURN(HttpResponse r, impl_->Send(call, impl_->ScopesFor(repo, false)));
    // 404 is how the distribution spec says "no referrers API"; registries
    // without the endpoint have also been seen to answer 400 (a path they
    // cannot parse), 405 (a route without GET) or 501. On the first page
    // all of them mean: use the fallback tag.
    if (r.status == 404 || r.status == 400 || r.status == 405 || r.status == 501) {
      if (page > 0) return impl_->HttpError(call, r);
      impl_->Log(fmt::format("GET {}: {}, no referrers API", RedactUrl(url), r.status));
      return Out();
    }
    if (r.status != 200) return impl_->HttpError(call, r);
    auto index = Index::Parse(r.body);
    if (!index) {
      // Some registries answer any unknown path with 200 and a page.
      if (page > 0) {
        return std::move(index).error().With(fmt::format("GET {}", RedactUrl(url)));
      }
      impl_->Log(
          fmt::format("GET {}: 200 without an image index, no referrers API", RedactUrl(url)));
      return Out();
    }
    for (Descriptor& d : index->manifests) out.push_back(std::move(d));
    std::string next = NextLink(r.HeaderValues("link"));
    url.clear();
    if (!next.empty()) {
      std::string resolved = ResolveLocation(r.Header("x-ocib-final-url"), next);
      if (HostOfUrl(resolved) != HostOfUrl(impl_->Url("/"))) {
        return Error(
            ErrorCode::kUnavailable,
            fmt::format("GET {}: next page link points to another host", RedactUrl(call.url)));
      }
      url = resolved;
    }
  }
  return Out(std::move(out));
}

Result<std::vector<std::string>> RegistryClient::ListTags(const std::string& repo, int page_size) {
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
        return Error(
            ErrorCode::kUnavailable,
            fmt::format("GET {}: next page link points to another host", RedactUrl(call.url)));
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
  if (r.status == 405 || registry::BodyHasCode(r, "UNSUPPORTED")) {
    return Error(
        ErrorCode::kPermissionDenied,
        fmt::format("DELETE {}: {}: {}: the registry {} does not allow deleting "
                    "manifests (docker-registry allows it with storage: delete: "
                    "enabled: true)",
                    RedactUrl(call.url), r.status, registry::DescribeBody(r), impl_->registry_));
  }
  Error e = impl_->HttpError(call, r);
  if (r.status == 400) return Error(ErrorCode::kInvalidArgument, e.message());
  return e;
}

}  // namespace ocib
