#include "lib/registry/image_walk.h"

#include <set>

#include "ocib/manifest.h"
#include "ocib/media_type.h"

namespace ocib::registry {
namespace {

struct Walker {
  OciLayout& layout;
  WalkedImage out;
  std::set<Digest> seen_blobs;
  std::set<Digest> seen_docs;

  void AddBlob(const Descriptor& d) {
    if (seen_blobs.insert(d.digest).second) out.blobs.push_back(d);
  }

  // Reads a document; appends it to `children` unless it is the root.
  Result<std::string> Visit(const Descriptor& d, bool is_root, int depth) {
    if (depth > 8) return InvalidArgument("indexes nested too deeply");
    OCIB_ASSIGN_OR_RETURN(std::string bytes, layout.ReadAll(d.digest, size_t{4} << 20));
    std::string mt = d.media_type;
    if (media_type::IsIndex(mt)) {
      OCIB_ASSIGN_OR_RETURN(Index index, Index::Parse(bytes));
      for (const Descriptor& child : index.manifests) {
        if (media_type::IsIndex(child.media_type) || media_type::IsManifest(child.media_type)) {
          if (!seen_docs.insert(child.digest).second) continue;
          auto r = Visit(child, false, depth + 1);
          if (!r) return std::move(r).error().With("reading " + child.digest.ToString());
        } else {
          AddBlob(child);
        }
      }
    } else if (media_type::IsManifest(mt)) {
      OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(bytes));
      AddBlob(m.config);
      for (const Descriptor& l : m.layers) AddBlob(l);
    } else {
      return InvalidArgument("unsupported root media type \"" + mt + "\"");
    }
    if (!is_root) out.children.push_back({d, bytes});
    return bytes;
  }
};

}  // namespace

Result<Descriptor> ResolveLayoutRoot(OciLayout& layout, const std::string& tag) {
  if (!tag.empty()) {
    auto d = layout.Resolve(tag);
    if (!d) return std::move(d).error().With("resolving tag " + tag + " in " + layout.path());
    return d;
  }
  OCIB_ASSIGN_OR_RETURN(Index index, layout.ReadIndex());
  if (index.manifests.size() != 1) {
    return InvalidArgument("layout " + layout.path() + " holds " +
                           std::to_string(index.manifests.size()) +
                           " images; name one as oci:DIR:TAG");
  }
  return index.manifests.front();
}

Result<WalkedImage> WalkLayout(OciLayout& layout, const Descriptor& root) {
  Walker w{layout, {}, {}, {}};
  OCIB_ASSIGN_OR_RETURN(w.out.root_bytes, w.Visit(root, true, 0));
  return std::move(w.out);
}

}  // namespace ocib::registry
