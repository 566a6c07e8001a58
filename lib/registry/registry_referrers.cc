// Referrers in registries: the referrers API and the fallback tag.
#include "ocib/registry_referrers.h"

#include <utility>

#include <fmt/format.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/referrers.h"

#include "lib/registry/referrer_info.h"

namespace ocib {
namespace {

std::string Where(const RegistryClient& client, const std::string& repo) {
  return client.registry() + "/" + repo;
}

// The referrers listed under the fallback tag of `subject`; "" when there
// is no such index yet. A tag holding something else is refused
// (kAlreadyExists, saying what is there), or with `replace` taken as empty.
Result<std::string> ReadFallbackIndex(RegistryClient& client, const std::string& repo,
                                      const Digest& subject, bool replace) {
  const std::string tag = ReferrersTagFor(subject);
  auto current = client.GetManifest(repo, tag);
  if (!current) {
    if (current.error().code() == ErrorCode::kNotFound) return std::string();
    return std::move(current).error();
  }
  // Some registries (GitLab) resolve "sha256-<hex>" to the manifest
  // sha256:<hex> itself: that is no referrers index.
  if (current->digest == subject) return std::string();
  if (!media_type::IsIndex(current->media_type)) {
    std::string there =
        fmt::format("tag {} holds {} {} ({} bytes), not an image index of the referrers of {}", tag,
                    current->media_type.empty() ? "a document without media type"
                                                : "a document of type " + current->media_type,
                    current->digest.ToString(), current->bytes.size(), subject.ToString());
    if (!replace) {
      return Error(ErrorCode::kAlreadyExists,
                   there + "; left unchanged (replacing it must be asked for explicitly)");
    }
    if (client.options().log) client.options().log("replacing it: " + there);
    return std::string();
  }
  return std::move(current->bytes);
}

}  // namespace

Result<Descriptor> PushReferrer(RegistryClient& client, const std::string& repo,
                                const std::string& media_type, const std::string& bytes) {
  const Descriptor desc = DescribeBytes(media_type, bytes);
  const std::string what =
      fmt::format("pushing referrer {} to {}", desc.digest.ToString(), Where(client, repo));
  auto info = registry::DescribeReferrer(desc, bytes);
  if (!info) return std::move(info).error().With(what);
  std::string oci_subject;
  auto put = client.PutManifest(repo, desc.digest.ToString(), media_type, bytes, &oci_subject);
  if (!put) return std::move(put).error().With(what);
  if (!info->subject.empty() && oci_subject.empty()) {
    Status st = AddToReferrersFallbackTag(client, repo, info->subject, info->descriptor);
    if (!st) return std::move(st).error().With(what);
  }
  return info->descriptor;
}

Status AddToReferrersFallbackTag(RegistryClient& client, const std::string& repo,
                                 const Digest& subject, const Descriptor& referrer) {
  const std::string tag = ReferrersTagFor(subject);
  const std::string what = fmt::format("adding referrer {} to the fallback tag {}:{}",
                                       referrer.digest.ToString(), Where(client, repo), tag);
  auto existing = ReadFallbackIndex(client, repo, subject, client.options().replace_referrers_tag);
  if (!existing) return std::move(existing).error().With(what);
  if (!existing->empty()) {
    auto index = Index::Parse(*existing);
    if (!index) return std::move(index).error().With(what);
    for (const Descriptor& d : index->manifests) {
      if (d.digest == referrer.digest) return OkStatus();
    }
  }
  auto merged = MergeReferrersIndex(*existing, referrer);
  if (!merged) return std::move(merged).error().With(what);
  auto put = client.PutManifest(repo, tag, merged->descriptor.media_type, merged->bytes);
  if (!put) return std::move(put).error().With(what);
  return OkStatus();
}

Result<std::vector<Descriptor>> ListRegistryReferrers(RegistryClient& client,
                                                      const std::string& repo,
                                                      const Digest& subject,
                                                      std::string_view artifact_type) {
  const std::string what =
      fmt::format("listing the referrers of {} in {}", subject.ToString(), Where(client, repo));
  std::vector<Descriptor> all;
  auto api = client.ListReferrers(repo, subject, std::string(artifact_type));
  if (!api) return std::move(api).error().With(what);
  if (*api) {
    all = std::move(**api);
  } else {
    auto bytes = ReadFallbackIndex(client, repo, subject, false);
    if (!bytes) return std::move(bytes).error().With(what);
    if (!bytes->empty()) {
      auto index = Index::Parse(*bytes);
      if (!index) return std::move(index).error().With(what);
      all = std::move(index->manifests);
    }
  }
  if (artifact_type.empty()) return all;
  std::vector<Descriptor> out;
  for (Descriptor& d : all) {
    if (d.artifact_type == artifact_type) out.push_back(std::move(d));
  }
  return out;
}

}  // namespace ocib
