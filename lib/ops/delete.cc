// DeleteImage (ocib/delete.h).
#include "ocib/delete.h"

#include <deque>
#include <memory>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/referrers.h"
#include "ocib/registry_referrers.h"

#include "lib/io/streams.h"
#include "lib/ops/location.h"

namespace ocib {
namespace {

// The digests of the platform manifests (and nested indexes) an index
// lists; empty for a manifest.
std::vector<Digest> ChildDigests(const std::string& media_type, const std::string& bytes) {
  std::vector<Digest> out;
  if (!media_type::IsIndex(media_type)) return out;
  auto index = Index::Parse(bytes);
  if (!index) return out;
  for (const Descriptor& d : index->manifests) out.push_back(d.digest);
  return out;
}

// Referrers of `roots`, and in turn theirs, breadth first, each once; with
// the fallback tag indexes ("sha256-<hex>") that list them.
struct RemoteReferrers {
  std::vector<Digest> manifests;
  std::vector<Digest> fallback_indexes;
};

Result<RemoteReferrers> CollectRemoteReferrers(RegistryClient& client, const std::string& repo,
                                               std::vector<Digest> roots) {
  RemoteReferrers out;
  std::set<Digest> seen(roots.begin(), roots.end());
  std::deque<Digest> queue(roots.begin(), roots.end());
  while (!queue.empty()) {
    Digest subject = queue.front();
    queue.pop_front();
    OCIB_ASSIGN_OR_RETURN(std::vector<Descriptor> refs,
                          ListRegistryReferrers(client, repo, subject));
    for (const Descriptor& r : refs) {
      if (!seen.insert(r.digest).second) continue;
      out.manifests.push_back(r.digest);
      queue.push_back(r.digest);
    }
    OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> fallback,
                          client.StatManifest(repo, ReferrersTagFor(subject)));
    if (fallback && !fallback->digest.empty() && seen.insert(fallback->digest).second) {
      out.fallback_indexes.push_back(fallback->digest);
    }
  }
  return out;
}

Result<DeleteResult> DeleteRemoteDigest(RegistryClient& client, const Reference& ref,
                                        const DeleteOptions& del) {
  const std::string& repo = ref.path();
  const std::string name = ref.WithDigest("").WithTag("").String();
  OCIB_ASSIGN_OR_RETURN(RemoteManifest root, client.GetManifest(repo, ref.digest()));
  DeleteResult out;
  if (del.referrers) {
    std::vector<Digest> subjects = ChildDigests(root.media_type, root.bytes);
    subjects.insert(subjects.begin(), root.digest);
    OCIB_ASSIGN_OR_RETURN(RemoteReferrers refs, CollectRemoteReferrers(client, repo, subjects));
    // Referrers of referrers first (the deepest last found), then their
    // fallback indexes: nothing is left pointing at a deleted manifest.
    for (auto it = refs.manifests.rbegin(); it != refs.manifests.rend(); ++it) {
      OCIB_RETURN_IF_ERROR(client.DeleteManifest(repo, it->ToString()));
      out.deleted.push_back(fmt::format("{}@{}", name, it->ToString()));
    }
    for (const Digest& d : refs.fallback_indexes) {
      OCIB_RETURN_IF_ERROR(client.DeleteManifest(repo, d.ToString()));
      out.notes.push_back(
          fmt::format("deleted the referrers fallback index {}@{}", name, d.ToString()));
    }
  }
  OCIB_RETURN_IF_ERROR(client.DeleteManifest(repo, root.digest.ToString()));
  out.deleted.push_back(fmt::format("{}@{}", name, root.digest.ToString()));
  return out;
}

// A manifest only `tag` names: an empty config, no layers, an annotation
// naming the tag and the image it named.
std::string PlaceholderManifest(const std::string& repo, const std::string& tag,
                                const Digest& was) {
  Manifest m;
  m.media_type = std::string(media_type::kImageManifest);
  m.config = DescribeBytes(media_type::kEmpty, "{}");
  m.annotations["org.opencontainers.image.description"] =
      fmt::format("placeholder used to delete the tag {}:{} (was {})", repo, tag, was.ToString());
  return m.Serialize();
}

// Deletes `tag` alone on a registry that deletes manifests by digest only:
// the tag moves to a placeholder manifest, which is deleted.
Status DeleteTagViaPlaceholder(RegistryClient& client, const std::string& repo,
                               const std::string& tag, const RemoteManifest& current) {
  const Descriptor empty = DescribeBytes(media_type::kEmpty, "{}");
  auto pushed = client.PushBlob(repo, empty, [](int64_t offset, int64_t) {
    return Result<std::unique_ptr<Reader>>(
        std::make_unique<io::StringReader>(std::string("{}").substr(static_cast<size_t>(offset))));
  });
  if (!pushed) return std::move(pushed).error();
  std::string placeholder = PlaceholderManifest(repo, tag, current.digest);
  OCIB_ASSIGN_OR_RETURN(
      Digest pd,
      client.PutManifest(repo, tag, std::string(media_type::kImageManifest), placeholder));
  Status deleted = client.DeleteManifest(repo, pd.ToString());
  if (deleted) return deleted;
  // Put the tag back where it was.
  auto restored = client.PutManifest(repo, tag, current.media_type, current.bytes);
  Error e = std::move(deleted).error().With(fmt::format(
      "deleting the placeholder manifest {} that tag {} was moved to", pd.ToString(), tag));
  if (!restored) {
    return e.With(fmt::format("the tag now names the placeholder; restoring it to {} failed: {}",
                              current.digest.ToString(), restored.error().message()));
  }
  return e;
}

Result<DeleteResult> DeleteRemoteTag(RegistryClient& client, const Reference& ref) {
  const std::string& repo = ref.path();
  OCIB_ASSIGN_OR_RETURN(RemoteManifest current, client.GetManifest(repo, ref.tag()));
  DeleteResult out;
  std::string line = fmt::format("{}@{}", ref.String(), current.digest.ToString());
  Status direct = client.DeleteManifest(repo, ref.tag());
  if (direct) {
    out.deleted.push_back(line);
    return out;
  }
  if (direct.error().code() != ErrorCode::kInvalidArgument) return std::move(direct).error();
  out.notes.push_back(fmt::format(
      "{} does not delete tags ({}); moved the tag to a placeholder manifest and deleted that "
      "by digest; the image {} stays",
      client.registry(), direct.error().message(), current.digest.ToString()));
  OCIB_RETURN_IF_ERROR(DeleteTagViaPlaceholder(client, repo, ref.tag(), current));
  out.deleted.push_back(line);
  return out;
}

Result<DeleteResult> DeleteRemote(const Reference& ref, const DeleteOptions& del,
                                  const RegistryOptions& options) {
  if (ref.digest().empty() && ref.tag().empty()) {
    return InvalidArgument("name a tag or a digest to delete");
  }
  if (del.referrers && ref.digest().empty()) {
    return InvalidArgument(
        "referrers are deleted with an image named by digest (deleting a tag keeps the image "
        "and its referrers)");
  }
  OCIB_ASSIGN_OR_RETURN(auto client, RegistryClient::Create(ref.domain(), options));
  client->SetScopes({ref.path()}, {});
  if (!ref.digest().empty()) return DeleteRemoteDigest(*client, ref, del);
  return DeleteRemoteTag(*client, ref);
}

// The digests whose index.json entries go: `digest` and, with
// `referrers`, the referrers of it and of its children, in turn theirs.
Result<std::set<Digest>> LayoutDoomed(OciLayout& layout, const Digest& digest, bool referrers) {
  std::set<Digest> doomed;
  if (digest.empty()) return doomed;
  doomed.insert(digest);
  if (!referrers) return doomed;
  std::deque<Digest> queue{digest};
  auto root = layout.ReadAll(digest, size_t{4} << 20);
  auto index = root ? Index::Parse(*root) : Result<Index>(InvalidArgument("unread"));
  if (index) {
    for (const Descriptor& d : index->manifests) queue.push_back(d.digest);
  }
  while (!queue.empty()) {
    Digest subject = queue.front();
    queue.pop_front();
    OCIB_ASSIGN_OR_RETURN(std::vector<Descriptor> refs, ListLayoutReferrers(layout, subject));
    for (const Descriptor& r : refs) {
      if (doomed.insert(r.digest).second) queue.push_back(r.digest);
    }
  }
  return doomed;
}

Result<DeleteResult> DeleteFromLayout(const DeleteTarget& target, const DeleteOptions& del) {
  const ImageLocation& loc = target.location;
  if (ops::LayoutTag(loc).empty() && target.layout_digest.empty()) {
    return InvalidArgument("name a tag (oci:DIR:TAG) or a digest (oci:DIR@sha256:...)");
  }
  if (del.referrers && target.layout_digest.empty()) {
    return InvalidArgument(
        "referrers are deleted with an image named by digest (deleting a tag keeps the image "
        "and its referrers)");
  }
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::Open(loc.layout()->path));
  OCIB_ASSIGN_OR_RETURN(std::set<Digest> doomed,
                        LayoutDoomed(*layout, target.layout_digest, del.referrers));
  const std::string& tag = ops::LayoutTag(loc);
  OCIB_ASSIGN_OR_RETURN(std::vector<Descriptor> removed,
                        layout->RemoveEntries([&](const Descriptor& d) {
                          if (!tag.empty()) {
                            auto it = d.annotations.find(kRefNameAnnotation);
                            return it != d.annotations.end() && it->second == tag;
                          }
                          return doomed.contains(d.digest);
                        }));
  if (removed.empty()) {
    return NotFound(tag.empty() ? fmt::format("{} is not in the layout's index.json",
                                              target.layout_digest.ToString())
                                : fmt::format("no tag {} in the layout", tag));
  }
  DeleteResult out;
  for (const Descriptor& d : removed) {
    auto it = d.annotations.find(kRefNameAnnotation);
    out.deleted.push_back(fmt::format("oci:{}{}@{}", loc.layout()->path,
                                      it == d.annotations.end() ? "" : ":" + it->second,
                                      d.digest.ToString()));
  }
  out.notes.emplace_back("blobs stay in the layout (no garbage collection)");
  return out;
}

}  // namespace

Result<DeleteTarget> DeleteTarget::Parse(const std::string& text) {
  DeleteTarget t;
  if (text.rfind("oci:", 0) == 0) {
    size_t at = text.rfind('@');
    if (at != std::string::npos && text.find('/', at) == std::string::npos) {
      OCIB_ASSIGN_OR_RETURN(t.layout_digest, Digest::Parse(text.substr(at + 1)));
      LayoutLocation where;
      where.path = text.substr(4, at - 4);
      where.tag.clear();
      if (where.path.empty()) {
        return InvalidArgument(fmt::format("empty layout directory in {}", text));
      }
      t.location.where = std::move(where);
      return t;
    }
  }
  OCIB_ASSIGN_OR_RETURN(t.location, ImageLocation::Parse(text));
  return t;
}

std::string DeleteTarget::ToString() const {
  if (!layout_digest.empty())
    return fmt::format("oci:{}@{}", location.layout()->path, layout_digest.ToString());
  return location.ToString();
}

Result<DeleteResult> DeleteImage(const DeleteTarget& target, const DeleteOptions& del,
                                 const RegistryOptions& options) {
  OCIB_RETURN_IF_ERROR(ops::NoArchive(target.location, "delete"));
  auto r = (target.location.layout() != nullptr)
               ? DeleteFromLayout(target, del)
               : DeleteRemote(target.location.registry()->reference, del, options);
  if (!r) return std::move(r).error().With(fmt::format("delete {}", target.ToString()));
  return r;
}

}  // namespace ocib
