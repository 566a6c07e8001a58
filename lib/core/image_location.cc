// The one parser of image locations (see ocib/image_location.h).
#include "ocib/image_location.h"

#include <algorithm>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ocib/digest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"

namespace ocib {
namespace {

constexpr std::string_view kLayoutPrefix = "oci:";
constexpr std::string_view kOciArchivePrefix = "oci-archive:";
constexpr std::string_view kDockerArchivePrefix = "docker-archive:";
constexpr std::string_view kDockerPrefix = "docker://";

struct PathAndTag {
  std::string path;
  std::string tag = "latest";
  bool tag_given = false;
  std::string digest;
};

// "PATH[:TAG|@DIGEST]" of oci: and oci-archive:.
Result<PathAndTag> SplitPathTag(std::string_view rest, std::string_view text, bool allow_digest) {
  PathAndTag out;
  const size_t at = rest.rfind('@');
  if (allow_digest && at != std::string_view::npos &&
      rest.substr(at + 1).find('/') == std::string_view::npos &&
      rest.substr(at + 1).find(':') != std::string_view::npos) {
    auto d = Digest::Parse(rest.substr(at + 1));
    if (!d) return InvalidArgument(fmt::format("\"{}\": {}", text, d.error().message()));
    out.path = std::string(rest.substr(0, at));
    out.digest = d->ToString();
    out.tag.clear();
  } else if (const size_t colon = rest.rfind(':');
             colon != std::string_view::npos &&
             rest.substr(colon + 1).find('/') == std::string_view::npos) {
    out.path = std::string(rest.substr(0, colon));
    out.tag = std::string(rest.substr(colon + 1));
    out.tag_given = true;
    if (out.tag.empty()) {
      return InvalidArgument(fmt::format("\"{}\" ends with ':' (an empty tag)", text));
    }
    if (!IsValidRefName(out.tag)) {
      return InvalidArgument(fmt::format(R"("{}": invalid tag "{}")", text, out.tag));
    }
  } else {
    out.path = std::string(rest);
  }
  if (out.path.empty()) return InvalidArgument(fmt::format("\"{}\" has an empty path", text));
  return out;
}

Result<ImageLocation> ParseDockerArchive(std::string_view rest, std::string_view text) {
  ArchiveLocation a;
  a.kind = ArchiveLocation::Kind::kDocker;
  const size_t colon = rest.find(':');
  a.path = std::string(rest.substr(0, colon));
  if (a.path.empty()) return InvalidArgument(fmt::format("\"{}\" has an empty path", text));
  if (colon != std::string_view::npos) {
    std::string_view ref_text = rest.substr(colon + 1);
    if (ref_text.empty()) {
      return InvalidArgument(fmt::format("\"{}\" ends with ':' (an empty REPO:TAG)", text));
    }
    auto ref = Reference::Parse(ref_text);
    if (!ref) return std::move(ref).error().With(fmt::format("\"{}\"", text));
    if (!ref->digest().empty()) {
      return InvalidArgument(
          fmt::format("\"{}\": a docker archive names images by REPO:TAG, not by digest", text));
    }
    Reference named = ref->tag().empty() ? ref->WithTag("latest") : *ref;
    a.repo_tag = named.String();
    a.tag = named.tag();
    a.tag_given = true;
  }
  return ImageLocation{a};
}

}  // namespace

Result<ImageLocation> ImageLocation::Parse(std::string_view text) {
  if (text.starts_with(kLayoutPrefix)) {
    OCIB_ASSIGN_OR_RETURN(PathAndTag p,
                          SplitPathTag(text.substr(kLayoutPrefix.size()), text, true));
    return ImageLocation{LayoutLocation{p.path, p.tag, p.tag_given, p.digest}};
  }
  if (text.starts_with(kOciArchivePrefix)) {
    OCIB_ASSIGN_OR_RETURN(PathAndTag p,
                          SplitPathTag(text.substr(kOciArchivePrefix.size()), text, false));
    ArchiveLocation a;
    a.path = p.path;
    a.tag = p.tag;
    a.tag_given = p.tag_given;
    return ImageLocation{a};
  }
  if (text.starts_with(kDockerArchivePrefix)) {
    return ParseDockerArchive(text.substr(kDockerArchivePrefix.size()), text);
  }
  std::string_view ref_text = text;
  if (ref_text.starts_with(kDockerPrefix)) ref_text.remove_prefix(kDockerPrefix.size());
  if (ref_text.empty()) return InvalidArgument("empty image location");
  auto ref = Reference::Parse(ref_text);
  if (!ref) {
    return InvalidArgument(fmt::format(
        "\"{}\" is not oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:REPO:TAG] or a "
        "registry reference: {}",
        text, ref.error().message()));
  }
  return ImageLocation{RegistryLocation{*ref}};
}

std::string ImageLocation::SourceTag() const {
  if (const auto* l = layout()) return l->tag_given ? l->tag : "";
  if (const auto* a = archive()) return a->tag_given ? a->tag : "";
  return registry()->reference.tag();
}

std::string ImageLocation::ToString() const {
  if (const auto* l = layout()) {
    if (!l->digest.empty()) return fmt::format("oci:{}@{}", l->path, l->digest);
    return l->tag_given ? fmt::format("oci:{}:{}", l->path, l->tag) : "oci:" + l->path;
  }
  if (const auto* a = archive()) {
    if (a->kind == ArchiveLocation::Kind::kDocker) {
      return a->repo_tag.empty() ? "docker-archive:" + a->path
                                 : fmt::format("docker-archive:{}:{}", a->path, a->repo_tag);
    }
    return a->tag_given ? fmt::format("oci-archive:{}:{}", a->path, a->tag)
                        : "oci-archive:" + a->path;
  }
  return registry()->reference.String();
}

Result<Descriptor> SelectImage(const Index& index, std::string_view tag, bool tag_given,
                               std::string_view digest, std::string_view where) {
  if (!digest.empty()) {
    for (const Descriptor& d : index.manifests) {
      if (d.digest.ToString() == digest) return d;
    }
    return NotFound(fmt::format("{} lists no image {}", where, digest));
  }
  std::vector<const Descriptor*> tagged;
  std::vector<const Descriptor*> untagged;
  std::vector<std::string> tags;
  for (const Descriptor& d : index.manifests) {
    auto it = d.annotations.find(kRefNameAnnotation);
    if (it != d.annotations.end()) {
      if (it->second == tag) return d;
      tagged.push_back(&d);
      tags.push_back(it->second);
    } else if (d.artifact_type.empty() &&
               (media_type::IsManifest(d.media_type) || media_type::IsIndex(d.media_type))) {
      untagged.push_back(&d);
    }
  }
  if (tag_given) return NotFound(fmt::format("{} has no image tagged \"{}\"", where, tag));
  const auto& candidates = tagged.empty() ? untagged : tagged;
  const bool one = !candidates.empty() &&
                   std::all_of(candidates.begin(), candidates.end(), [&](const Descriptor* d) {
                     return d->digest == candidates.front()->digest;
                   });
  if (one) return *candidates.front();
  if (candidates.empty()) return NotFound(fmt::format("{} holds no image", where));
  if (tags.empty()) {
    return InvalidArgument(
        fmt::format("{} holds {} untagged images; name one by digest", where, untagged.size()));
  }
  return InvalidArgument(
      fmt::format("{} holds {} images and none is tagged latest; name one of "
                  "its tags: {}",
                  where, tags.size(), fmt::join(tags, ", ")));
}

}  // namespace ocib
