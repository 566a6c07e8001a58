// ListTags and TagImage (ocib/tags.h).
#include "ocib/tags.h"

#include <algorithm>
#include <memory>
#include <optional>
#include <utility>

#include <fmt/format.h>

#include "ocib/oci_layout.h"
#include "ocib/reference.h"

#include "lib/ops/location.h"

namespace ocib {
namespace {

std::string LayoutRef(const std::string& dir, const std::string& tag, const Digest& digest) {
  return fmt::format("oci:{}:{}@{}", dir, tag, digest.ToString());
}

Result<std::vector<TagEntry>> ListLayoutTags(const ImageLocation& where) {
  if (!ops::LayoutTag(where).empty()) {
    return InvalidArgument(fmt::format("listing tags of {}: give the layout without a tag (oci:{})",
                                       where.ToString(), where.layout()->path));
  }
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::Open(where.layout()->path));
  OCIB_ASSIGN_OR_RETURN(Index index, layout->ReadIndex());
  std::vector<TagEntry> out;
  for (const Descriptor& d : index.manifests) {
    auto it = d.annotations.find(kRefNameAnnotation);
    if (it == d.annotations.end()) continue;
    out.push_back({it->second, d.digest, LayoutRef(where.layout()->path, it->second, d.digest)});
  }
  return out;
}

Result<Digest> RemoteDigest(RegistryClient& client, const std::string& repo,
                            const std::string& tag) {
  OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> stat, client.StatManifest(repo, tag));
  if (!stat) return NotFound(fmt::format("tag {} was listed but is gone", tag));
  if (!stat->digest.empty()) return stat->digest;
  OCIB_ASSIGN_OR_RETURN(RemoteManifest m, client.GetManifest(repo, tag));
  return m.digest;
}

Result<std::vector<TagEntry>> ListRemoteTags(const Reference& ref, const ListTagsOptions& list,
                                             const RegistryOptions& options) {
  if (!ref.tag().empty() || !ref.digest().empty()) {
    return InvalidArgument(
        fmt::format("listing tags of {}: give the repository without a tag or digest ({})",
                    ref.String(), ref.Name()));
  }
  OCIB_ASSIGN_OR_RETURN(auto client, RegistryClient::Create(ref.domain(), options));
  OCIB_ASSIGN_OR_RETURN(std::vector<std::string> tags,
                        client->ListTags(ref.path(), list.page_size));
  std::vector<TagEntry> out;
  for (std::string& tag : tags) {
    TagEntry e;
    e.reference = ref.WithTag(tag).String();
    if (list.digests) {
      auto d = RemoteDigest(*client, ref.path(), tag);
      if (!d) return std::move(d).error().With(fmt::format("resolving {}", e.reference));
      e.digest = *d;
      e.reference += "@" + d->ToString();
    }
    e.tag = std::move(tag);
    out.push_back(std::move(e));
  }
  return out;
}

Status CheckTags(const std::vector<std::string>& tags, bool layout) {
  if (tags.empty()) return InvalidArgument("no new tag given");
  for (const std::string& t : tags) {
    if (layout ? !IsValidRefName(t) : !IsValidTag(t)) {
      return InvalidArgument(fmt::format("invalid tag \"{}\"", t));
    }
  }
  return OkStatus();
}

Result<std::vector<std::string>> TagLayout(const ImageLocation& source,
                                           const std::vector<std::string>& new_tags) {
  if (ops::LayoutTag(source).empty()) {
    return InvalidArgument(
        fmt::format("tagging {}: name the image by its tag (oci:DIR:TAG)", source.ToString()));
  }
  OCIB_RETURN_IF_ERROR(CheckTags(new_tags, true));
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::Open(source.layout()->path));
  OCIB_ASSIGN_OR_RETURN(Descriptor root, layout->Resolve(ops::LayoutTag(source)));
  root.annotations.erase(kRefNameAnnotation);
  std::vector<OciLayout::IndexEntry> entries;
  std::vector<std::string> lines;
  for (const std::string& t : new_tags) {
    entries.push_back({root, t});
    lines.push_back(LayoutRef(source.layout()->path, t, root.digest));
  }
  OCIB_RETURN_IF_ERROR(layout->UpdateIndex(entries));
  return lines;
}

Result<std::vector<std::string>> TagRemote(const Reference& ref,
                                           const std::vector<std::string>& new_tags,
                                           const RegistryOptions& options) {
  OCIB_RETURN_IF_ERROR(CheckTags(new_tags, false));
  OCIB_ASSIGN_OR_RETURN(auto client, RegistryClient::Create(ref.domain(), options));
  client->SetScopes({ref.path()}, {});
  auto line = [&](const std::string& t, const Digest& d) {
    return fmt::format("{}@{}", ref.WithDigest("").WithTag(t).String(), d.ToString());
  };
  // The source's digest (from the reference, or one HEAD), then the tags
  // that already name it are left alone: tagging again costs a HEAD per
  // tag and writes nothing.
  Digest want;
  if (!ref.digest().empty()) {
    OCIB_ASSIGN_OR_RETURN(want, Digest::Parse(ref.digest()));
  } else {
    OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> src,
                          client->StatManifest(ref.path(), ref.Identifier()));
    if (!src) return NotFound(fmt::format("{} does not exist", ref.String()));
    want = src->digest;
  }
  // Without the source's digest (a registry that leaves the header out)
  // no tag can be known to name it: every tag is written.
  std::vector<std::string> pending = want.empty() ? new_tags : std::vector<std::string>{};
  for (size_t i = 0; !want.empty() && i < new_tags.size(); ++i) {
    OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> have,
                          client->StatManifest(ref.path(), new_tags[i]));
    if (!have || have->digest != want) pending.push_back(new_tags[i]);
  }
  std::vector<std::string> lines;
  if (pending.empty()) {
    for (const std::string& t : new_tags) lines.push_back(line(t, want));
    return lines;
  }
  const std::string by = want.empty() ? ref.Identifier() : want.ToString();
  OCIB_ASSIGN_OR_RETURN(RemoteManifest m, client->GetManifest(ref.path(), by));
  for (const std::string& t : new_tags) {
    Digest put = m.digest;
    if (std::ranges::find(pending, t) != pending.end()) {
      OCIB_ASSIGN_OR_RETURN(put, client->PutManifest(ref.path(), t, m.media_type, m.bytes));
    }
    lines.push_back(line(t, put));
  }
  return lines;
}

}  // namespace

Result<std::vector<TagEntry>> ListTags(const ImageLocation& repository, const ListTagsOptions& list,
                                       const RegistryOptions& options) {
  OCIB_RETURN_IF_ERROR(ops::NoArchive(repository, "ls"));
  auto r = (repository.layout() != nullptr)
               ? ListLayoutTags(repository)
               : ListRemoteTags(repository.registry()->reference, list, options);
  if (!r) return std::move(r).error().With(fmt::format("ls {}", repository.ToString()));
  return r;
}

Result<std::vector<std::string>> TagImage(const ImageLocation& source,
                                          const std::vector<std::string>& new_tags,
                                          const RegistryOptions& options) {
  OCIB_RETURN_IF_ERROR(ops::NoArchive(source, "tag"));
  auto r = (source.layout() != nullptr)
               ? TagLayout(source, new_tags)
               : TagRemote(source.registry()->reference, new_tags, options);
  if (!r) return std::move(r).error().With(fmt::format("tag {}", source.ToString()));
  return r;
}

}  // namespace ocib
