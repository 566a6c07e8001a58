#include "lib/transfer/image_walk.h"

#include <set>

#include <fmt/format.h>

#include "ocib/manifest.h"
#include "ocib/media_type.h"

#include "lib/io/streams.h"
#include "lib/layout/consistency.h"

namespace ocib::registry {
namespace {

struct Walker {
  ImageSource& layout;
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
          if (!r)
            return std::move(r).error().With(fmt::format("reading {}", child.digest.ToString()));
        } else {
          AddBlob(child);
        }
      }
    } else if (media_type::IsManifest(mt)) {
      OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(bytes));
      AddBlob(m.config);
      for (const Descriptor& l : m.layers) AddBlob(l);
    } else {
      return InvalidArgument(fmt::format("unsupported root media type \"{}\"", mt));
    }
    if (!is_root) out.children.push_back({d, bytes});
    return bytes;
  }
};

}  // namespace

Result<Descriptor> ResolveLayoutRoot(ImageSource& layout, const std::string& tag) {
  OCIB_ASSIGN_OR_RETURN(Index index, layout.ReadIndex());
  return SelectImage(index, tag.empty() ? "latest" : tag, !tag.empty(), "", layout.name());
}

Result<WalkedImage> WalkLayout(ImageSource& layout, const Descriptor& root) {
  Walker w{layout, {}, {}, {}};
  OCIB_ASSIGN_OR_RETURN(w.out.root_bytes, w.Visit(root, true, 0));
  return std::move(w.out);
}

std::string ReferrerLabel(const Digest& referrer, const Digest& subject) {
  std::string label = "referrer " + referrer.ToString();
  if (!subject.empty()) label += " of " + subject.ToString();
  return label;
}

std::map<Digest, std::string> ReferrerBlobOwners(const WalkedImage& image) {
  // The config and layers of a manifest; none for an index (which does not
  // parse as a manifest) or anything else.
  auto blobs_of = [](std::string_view bytes) {
    std::vector<Digest> out;
    auto m = Manifest::Parse(bytes);
    if (!m) return out;
    out.push_back(m->config.digest);
    for (const Descriptor& l : m->layers) out.push_back(l.digest);
    return out;
  };
  std::map<Digest, std::string> owners;
  for (const WalkedDocument& doc : image.referrers) {
    auto info = DescribeReferrer(doc.descriptor, doc.bytes);
    const std::string label = ReferrerLabel(doc.descriptor.digest, info ? info->subject : Digest());
    for (const Digest& d : blobs_of(doc.bytes)) owners.emplace(d, label);
  }
  if (owners.empty()) return owners;
  for (const Digest& d : blobs_of(image.root_bytes)) owners.erase(d);
  for (const WalkedDocument& doc : image.children) {
    for (const Digest& d : blobs_of(doc.bytes)) owners.erase(d);
  }
  return owners;
}

Status WalkLayoutReferrers(ImageSource& layout, const Descriptor& root, WalkedImage& image) {
  const std::string what =
      fmt::format("finding the referrers of {} in {}", root.digest.ToString(), layout.name());
  std::set<Digest> subjects{root.digest};
  for (const WalkedDocument& c : image.children) subjects.insert(c.descriptor.digest);
  std::set<Digest> blobs;
  for (const Descriptor& b : image.blobs) blobs.insert(b.digest);
  auto index = layout.ReadIndex();
  if (!index) return std::move(index).error().With(what);

  // Every index.json entry that has a subject, in index order.
  struct Candidate {
    Descriptor entry;
    Digest subject;
  };
  std::vector<Candidate> pending;
  std::set<Digest> considered;
  for (const Descriptor& e : index->manifests) {
    if (!media_type::IsIndex(e.media_type) && !media_type::IsManifest(e.media_type)) continue;
    if (subjects.contains(e.digest) || !considered.insert(e.digest).second) continue;
    auto has = layout.Has(e.digest);
    if (!has) return std::move(has).error().With(what);
    if (!*has) continue;
    auto bytes = layout.ReadAll(e.digest, size_t{4} << 20);
    if (!bytes) return std::move(bytes).error().With(what);
    auto info = DescribeReferrer(e, *bytes);
    if (!info) return std::move(info).error().With(what);
    if (info->subject.empty()) continue;
    Descriptor entry = e;
    entry.annotations.clear();
    entry.platform.reset();
    pending.push_back({std::move(entry), info->subject});
  }

  // Referrers of known subjects, then referrers of those, and so on.
  for (bool progress = true; progress;) {
    progress = false;
    for (auto it = pending.begin(); it != pending.end();) {
      if (!subjects.contains(it->subject)) {
        ++it;
        continue;
      }
      Walker w{layout, {}, blobs, subjects};
      auto bytes = w.Visit(it->entry, true, 0);
      if (!bytes) {
        return std::move(bytes)
            .error()
            .With(fmt::format("reading referrer {}", it->entry.digest.ToString()))
            .With(what);
      }
      for (const Descriptor& b : w.out.blobs) {
        blobs.insert(b.digest);
        image.blobs.push_back(b);
      }
      for (WalkedDocument& c : w.out.children) {
        subjects.insert(c.descriptor.digest);
        image.referrers.push_back(std::move(c));
      }
      subjects.insert(it->entry.digest);
      image.referrers.push_back({it->entry, std::move(*bytes)});
      it = pending.erase(it);
      progress = true;
    }
  }
  return OkStatus();
}

Status CheckWalkedImage(const Descriptor& root, const WalkedImage& image,
                        const std::function<BlobOpener(const Descriptor&)>& opener_for) {
  auto docs = [](const std::vector<WalkedDocument>& in) {
    std::vector<consistency::ImageDocument> out;
    out.reserve(in.size());
    for (const WalkedDocument& d : in) out.push_back({d.descriptor, d.bytes});
    return out;
  };
  auto read_once = [&](const Descriptor& d) -> Result<std::string> {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> reader, opener_for(d)(0, d.size));
    return io::ReadAtMost(*reader, static_cast<size_t>(d.size));
  };
  // A body cut short by the network is read again (the request itself is
  // retried by the session; a read that breaks half way is not).
  auto read_config = [&](const Descriptor& d) -> Result<std::string> {
    constexpr int kAttempts = 4;
    Result<std::string> bytes = read_once(d);
    for (int i = 1; i < kAttempts && !bytes && bytes.error().code() == ErrorCode::kUnavailable;
         ++i) {
      bytes = read_once(d);
    }
    return bytes;
  };
  return consistency::CheckImage(root, image.root_bytes, docs(image.children),
                                 docs(image.referrers), read_config);
}

}  // namespace ocib::registry
