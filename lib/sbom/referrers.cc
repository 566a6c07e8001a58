// OCI 1.1 artifacts (subject + artifactType) and the referrers fallback tag.
#include "ocib/referrers.h"

#include <utility>

#include <fmt/format.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"

namespace ocib {
namespace {

bool TagChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' ||
         c == '.' || c == '-';
}

}  // namespace

Descriptor EmptyJsonDescriptor() {
  Descriptor d;
  d.media_type = std::string(media_type::kEmpty);
  d.digest = Digest::FromSha256Hex(std::string(kEmptyJsonDigest.substr(7)));
  d.size = static_cast<int64_t>(kEmptyJson.size());
  return d;
}

Result<ArtifactManifest> MakeArtifactManifest(const Descriptor& subject,
                                              std::string_view artifact_type,
                                              std::string_view payload_media_type,
                                              std::string_view payload,
                                              const Annotations& annotations) {
  if (artifact_type.empty()) return InvalidArgument("artifact type must not be empty");
  if (subject.digest.empty() || subject.media_type.empty()) {
    return InvalidArgument("artifact subject needs a media type and a digest");
  }
  if (payload_media_type.empty()) return InvalidArgument("payload media type must not be empty");

  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.artifact_type = std::string(artifact_type);
  m.config = EmptyJsonDescriptor();
  Descriptor layer = DescribeBytes(payload_media_type, payload);
  m.layers.push_back(layer);
  Descriptor subj;
  subj.media_type = subject.media_type;
  subj.digest = subject.digest;
  subj.size = subject.size;
  subj.artifact_type = subject.artifact_type;
  m.subject = std::move(subj);
  m.annotations = annotations;

  ArtifactManifest out;
  out.manifest.bytes = m.Serialize();
  out.manifest.descriptor = DescribeBytes(media_type::kImageManifest, out.manifest.bytes);
  out.manifest.descriptor.artifact_type = std::string(artifact_type);
  out.manifest.descriptor.annotations = annotations;
  out.payload = std::move(layer);
  return out;
}

Result<Descriptor> AttachArtifact(BlobStore& store, const Descriptor& subject,
                                  std::string_view artifact_type, std::string_view payload,
                                  const Annotations& annotations) {
  const std::string what =
      fmt::format("attaching {} artifact to {}", artifact_type, subject.digest.ToString());
  auto art = MakeArtifactManifest(subject, artifact_type, artifact_type, payload, annotations);
  if (!art) return std::move(art).error().With(what);
  auto put = [&](std::string_view media_type, std::string_view bytes,
                 const Digest& want) -> Status {
    auto d = store.Put(media_type, bytes);
    if (!d) return std::move(d).error().With(what);
    if (d->digest != want) {
      return Internal(
                 fmt::format("stored blob digest {} != {}", d->digest.ToString(), want.ToString()))
          .With(what);
    }
    return {};
  };
  OCIB_RETURN_IF_ERROR(put(artifact_type, payload, art->payload.digest));
  OCIB_RETURN_IF_ERROR(put(media_type::kEmpty, kEmptyJson, EmptyJsonDescriptor().digest));
  OCIB_RETURN_IF_ERROR(
      put(media_type::kImageManifest, art->manifest.bytes, art->manifest.descriptor.digest));
  return art->manifest.descriptor;
}

Status AddReferrerToLayout(OciLayout& layout, const Descriptor& artifact_manifest) {
  auto st = layout.AddUntagged(artifact_manifest);
  if (!st) {
    return std::move(st).error().With(fmt::format(
        "adding referrer {} to {}", artifact_manifest.digest.ToString(), layout.path()));
  }
  return {};
}

Result<std::vector<Descriptor>> ListLayoutReferrers(OciLayout& layout, const Digest& subject,
                                                    std::string_view artifact_type) {
  auto index = layout.ReadIndex();
  if (!index) {
    return std::move(index).error().With(
        fmt::format("listing referrers of {} in {}", subject.ToString(), layout.path()));
  }
  return ListIndexReferrers(layout, *index, subject, artifact_type, layout.path());
}

Result<std::vector<Descriptor>> ListIndexReferrers(BlobStore& store, const Index& index_in,
                                                   const Digest& subject,
                                                   std::string_view artifact_type,
                                                   std::string_view where) {
  const std::string what = fmt::format("listing referrers of {} in {}", subject.ToString(), where);
  const Index* index = &index_in;
  std::vector<Descriptor> out;
  for (const Descriptor& entry : index->manifests) {
    const bool is_index = media_type::IsIndex(entry.media_type);
    if (!is_index && !media_type::IsManifest(entry.media_type)) continue;
    auto has = store.Has(entry.digest);
    if (!has) return std::move(has).error().With(what);
    if (!*has) continue;
    auto bytes = store.ReadAll(entry.digest);
    if (!bytes) return std::move(bytes).error().With(what);

    Descriptor ref;
    ref.media_type = entry.media_type;
    ref.digest = entry.digest;
    ref.size = entry.size;
    std::optional<Descriptor> subj;
    if (is_index) {
      auto idx = Index::Parse(*bytes);
      if (!idx) return std::move(idx).error().With(what);
      subj = idx->subject;
      ref.artifact_type = idx->artifact_type;
      ref.annotations = idx->annotations;
    } else {
      auto m = Manifest::Parse(*bytes);
      if (!m) return std::move(m).error().With(what);
      subj = m->subject;
      ref.artifact_type = m->artifact_type.empty() ? m->config.media_type : m->artifact_type;
      ref.annotations = m->annotations;
    }
    if (!subj || subj->digest != subject) continue;
    if (!artifact_type.empty() && ref.artifact_type != artifact_type) continue;
    bool seen = false;
    for (const Descriptor& d : out) seen = seen || d.digest == ref.digest;
    if (!seen) out.push_back(std::move(ref));
  }
  return out;
}

Result<Document> MergeReferrersIndex(std::string_view existing,
                                     const Descriptor& artifact_manifest) {
  Index index;
  if (!existing.empty()) {
    auto parsed = Index::Parse(existing);
    if (!parsed) return std::move(parsed).error().With("reading the referrers fallback index");
    index = std::move(*parsed);
  }
  index.media_type = std::string(media_type::kImageIndex);
  bool present = false;
  for (const Descriptor& d : index.manifests) {
    present = present || d.digest == artifact_manifest.digest;
  }
  if (!present) index.manifests.push_back(artifact_manifest);
  Document doc;
  doc.bytes = index.Serialize();
  doc.descriptor = DescribeBytes(media_type::kImageIndex, doc.bytes);
  return doc;
}

std::string ReferrersTagFor(const Digest& digest) {
  std::string tag = digest.algorithm().substr(0, 32) + "-" + digest.encoded().substr(0, 64);
  for (char& c : tag) {
    if (!TagChar(c)) c = '-';
  }
  return tag;
}

}  // namespace ocib
