// Pull: registry -> OCI layout, verifying every byte; Copy between
// registries and layouts.
#include "ocib/pull.h"

#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "ocib/archive_writer.h"
#include "ocib/manifest.h"
#include "ocib/media_type.h"
#include "ocib/oci_layout.h"
#include "ocib/push.h"
#include "ocib/registry_referrers.h"

#include "lib/core/parallel.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include "lib/layout/docker_archive.h"
#include "lib/registry/remote_blob.h"
#include "lib/transfer/image_walk.h"
#include <sys/stat.h>

namespace ocib {
namespace {

bool PathExists(const std::string& path) {
  struct stat st {};
  return ::stat(path.c_str(), &st) == 0;
}

struct PulledDoc {
  Descriptor descriptor;
  std::string bytes;
};

class Puller {
 public:
  Puller(RegistryClient& client, BlobStore* store, std::string repo, const RegistryOptions& o)
      : client_(client), store_(store), repo_(std::move(repo)), options_(o) {}

  const std::vector<Descriptor>& blobs() const { return blobs_; }
  const std::vector<PulledDoc>& docs() const { return docs_; }

  // Fetches the document `d` and (recursively) its children's documents;
  // records blobs to fetch. Children go to docs_ before parents.
  Status Collect(const Descriptor& d, const std::string& bytes, int depth) {
    if (depth > 8) return InvalidArgument("indexes nested too deeply");
    if (media_type::IsIndex(d.media_type)) {
      OCIB_ASSIGN_OR_RETURN(Index index, Index::Parse(bytes));
      for (const Descriptor& child : index.manifests) {
        OCIB_RETURN_IF_ERROR(CollectChild(child, depth));
      }
    } else if (media_type::IsManifest(d.media_type)) {
      OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(bytes));
      AddBlob(m.config);
      for (const Descriptor& l : m.layers) {
        AddBlob(l);
        layers_.insert(l.digest);
      }
    } else {
      return InvalidArgument(fmt::format("unsupported manifest media type \"{}\"", d.media_type));
    }
    return OkStatus();
  }

  Status CollectChild(const Descriptor& child, int depth) {
    if (!media_type::IsIndex(child.media_type) && !media_type::IsManifest(child.media_type)) {
      AddBlob(child);
      return OkStatus();
    }
    if (!seen_docs_.insert(child.digest).second) return OkStatus();
    auto m = client_.GetManifest(repo_, child.digest.ToString());
    if (!m)
      return std::move(m).error().With(fmt::format("fetch manifest {}", child.digest.ToString()));
    if (static_cast<int64_t>(m->bytes.size()) != child.size) {
      return DataLoss(fmt::format("manifest {} is {} bytes, its descriptor says {}",
                                  child.digest.ToString(), m->bytes.size(), child.size));
    }
    Descriptor d = child;
    OCIB_RETURN_IF_ERROR(Collect(d, m->bytes, depth + 1));
    docs_.push_back({d, std::move(m->bytes)});
    return OkStatus();
  }

  void AddBlob(const Descriptor& d) {
    if (seen_blobs_.insert(d.digest).second) blobs_.push_back(d);
  }

  // Finds the referrers of `subjects` in the source (ListRegistryReferrers:
  // the referrers API or the fallback tag), then the referrers of those
  // and of the children of a referrer index, and so on. Each referrer is
  // fetched and verified like a child (CollectChild), its children before
  // it in docs_, its blobs recorded. Returns the referrers' referrers-API
  // descriptors, each after its subject. A listing answered with kNotFound
  // means no referrers; a listed referrer that is gone (kNotFound), is not
  // a manifest or index, or names another subject is skipped (logged).
  Result<std::vector<Descriptor>> CollectReferrers(std::vector<Digest> subjects) {
    std::vector<Descriptor> out;
    std::set<Digest> queued(subjects.begin(), subjects.end());
    for (size_t i = 0; i < subjects.size(); ++i) {
      const Digest subject = subjects[i];
      auto listed = ListRegistryReferrers(client_, repo_, subject);
      if (!listed) {
        if (listed.error().code() != ErrorCode::kNotFound) {
          return std::move(listed).error().With(
              fmt::format("copying the referrers of {}", subject.ToString()));
        }
        Log(fmt::format("no referrers of {}: {}", subject.ToString(), listed.error().ToString()));
        continue;
      }
      for (const Descriptor& listed_desc : *listed) {
        const std::string what = fmt::format("copying referrer {} of {}",
                                             listed_desc.digest.ToString(), subject.ToString());
        if (!media_type::IsManifest(listed_desc.media_type) &&
            !media_type::IsIndex(listed_desc.media_type)) {
          Log(fmt::format(
              "skipping referrer {} of {}: media type \"{}\" is not a manifest or index",
              listed_desc.digest.ToString(), subject.ToString(), listed_desc.media_type));
          continue;
        }
        if (seen_docs_.contains(listed_desc.digest)) continue;
        auto m = client_.GetManifest(repo_, listed_desc.digest.ToString());
        if (!m) {
          if (m.error().code() == ErrorCode::kNotFound) {
            Log(fmt::format("skipping referrer {} of {}: listed but not in {}",
                            listed_desc.digest.ToString(), subject.ToString(), repo_));
            continue;
          }
          return std::move(m).error().With(what);
        }
        if (static_cast<int64_t>(m->bytes.size()) != listed_desc.size) {
          return DataLoss(fmt::format("the referrer is {} bytes, its listing says {}",
                                      m->bytes.size(), listed_desc.size))
              .With(what);
        }
        Descriptor doc;
        doc.media_type = listed_desc.media_type;
        doc.digest = listed_desc.digest;
        doc.size = listed_desc.size;
        auto info = registry::DescribeReferrer(doc, m->bytes);
        if (!info) return std::move(info).error().With(what);
        if (info->subject != subject) {
          Log(fmt::format(
              "skipping referrer {} listed for {}: its subject is {}",
              listed_desc.digest.ToString(), subject.ToString(),
              info->subject.empty() ? std::string("absent") : info->subject.ToString()));
          continue;
        }
        seen_docs_.insert(doc.digest);
        const size_t first_new = docs_.size();
        const size_t first_new_blob = blobs_.size();
        Status collected = Collect(doc, m->bytes, 0);
        if (!collected) return std::move(collected).error().With(what);
        const std::string label = registry::ReferrerLabel(doc.digest, subject);
        for (size_t j = first_new_blob; j < blobs_.size(); ++j)
          blob_owner_[blobs_[j].digest] = label;
        docs_.push_back({doc, std::move(m->bytes)});
        for (size_t j = first_new; j < docs_.size(); ++j) {
          if (queued.insert(docs_[j].descriptor.digest).second) {
            subjects.push_back(docs_[j].descriptor.digest);
          }
        }
        out.push_back(std::move(info->descriptor));
      }
    }
    return out;
  }

  void Log(const std::string& line) {
    if (options_.log) options_.log(line);
  }

  // Fetches every recorded blob the layout lacks; with `skip_layers`, only
  // those that are not a manifest's layer (configs).
  Status FetchAll(bool skip_layers) {
    const TransferEvents& events = options_.events;
    if (events.on_plan) {
      TransferPlan plan;
      for (const Descriptor& b : blobs_) {
        if (skip_layers && layers_.contains(b.digest)) continue;
        ++plan.blobs;
        plan.bytes += b.size;
      }
      events.on_plan(plan);
    }
    return core::ParallelFor(blobs_.size(), options_.jobs, [&](size_t i) -> Status {
      const Descriptor& b = blobs_[i];
      if (skip_layers && layers_.contains(b.digest)) return OkStatus();
      OCIB_ASSIGN_OR_RETURN(bool have, store_->Has(b.digest));
      if (have) {
        if (events.on_blob) {
          std::lock_guard<std::mutex> lock(progress_mu_);
          events.on_blob({b.digest, b.size, BlobAction::kExisted, 0, repo_});
        }
        return OkStatus();
      }
      const auto start = std::chrono::steady_clock::now();
      Status s = client_.FetchBlob(repo_, b, *store_);
      if (!s) {
        auto owner = blob_owner_.find(b.digest);
        return std::move(s).error().With(
            fmt::format("fetch blob {}{}", b.digest.ToString(),
                        owner == blob_owner_.end() ? "" : " of " + owner->second));
      }
      if (options_.progress || events.on_blob) {
        // One line at a time: the workers finish concurrently.
        std::lock_guard<std::mutex> lock(progress_mu_);
        if (options_.progress) {
          options_.progress(
              fmt::format("pulled {} {} B", b.digest.ToString().substr(0, 19), b.size));
        }
        if (events.on_blob) {
          const double seconds =
              std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
          events.on_blob({b.digest, b.size, BlobAction::kDownloaded, seconds, repo_});
        }
      }
      return OkStatus();
    });
  }

  Status StoreDocs() {
    for (const PulledDoc& d : docs_) {
      OCIB_RETURN_IF_ERROR(store_->Put(d.descriptor.media_type, d.bytes, d.descriptor.digest));
    }
    return OkStatus();
  }

 private:
  RegistryClient& client_;
  BlobStore* store_;  // null when only walking
  std::string repo_;
  const RegistryOptions& options_;
  std::set<Digest> seen_blobs_;
  std::set<Digest> seen_docs_;
  std::set<Digest> layers_;
  std::vector<Descriptor> blobs_;
  std::vector<PulledDoc> docs_;
  // Blobs first recorded for a referrer: "referrer sha256:... of sha256:...".
  std::map<Digest, std::string> blob_owner_;
  std::mutex progress_mu_;
};

// The manifests of `index` for one of `platforms`; NotFound when there is none.
Result<std::vector<Descriptor>> SelectPlatformManifests(const Index& index,
                                                        const std::vector<Platform>& platforms,
                                                        const Reference& source) {
  std::vector<Descriptor> selected;
  for (const Descriptor& d : index.manifests) {
    if (!d.platform) continue;
    for (const Platform& p : platforms) {
      if (d.platform->Matches(p)) {
        selected.push_back(d);
        break;
      }
    }
  }
  if (selected.empty()) {
    std::string want;
    for (const Platform& p : platforms) want += (want.empty() ? "" : ",") + p.ToString();
    return NotFound(fmt::format("no manifest for platform {} in {}", want, source.String()));
  }
  return selected;
}

// Collects what is below the pulled `root`; an index is cut down to the
// manifests for `platforms`, and `root_desc` and `root_bytes` then rewritten.
Status CollectFromRoot(Puller& puller, const RemoteManifest& root,
                       const std::vector<Platform>& platforms, const Reference& source,
                       Descriptor* root_desc, std::string* root_bytes) {
  if (media_type::IsIndex(root.media_type)) {
    OCIB_ASSIGN_OR_RETURN(Index index, Index::Parse(root.bytes));
    if (!platforms.empty()) {
      OCIB_ASSIGN_OR_RETURN(std::vector<Descriptor> selected,
                            SelectPlatformManifests(index, platforms, source));
      if (selected.size() != index.manifests.size()) {
        index.manifests = selected;
        *root_bytes = index.Serialize();
        *root_desc = DescribeBytes(root.media_type, *root_bytes);
      }
    }
    for (const Descriptor& d : index.manifests) {
      OCIB_RETURN_IF_ERROR(puller.CollectChild(d, 0));
    }
  } else if (media_type::IsManifest(root.media_type)) {
    if (!platforms.empty()) {
      // A single manifest: check its config's platform would need the
      // config; accept it (the caller asked for a platform of a
      // single-platform image).
    }
    OCIB_RETURN_IF_ERROR(puller.Collect(*root_desc, root.bytes, 0));
  } else {
    return InvalidArgument(fmt::format("unsupported manifest media type \"{}\"", root.media_type));
  }
  return OkStatus();
}

// The pulled image's tag in the layout: `layout_tag`, else the source's tag,
// else "latest" unless the source names a digest (then none).
std::string PulledImageTag(const std::string& layout_tag, const Reference& source) {
  std::string tag = layout_tag;
  if (tag.empty()) tag = source.tag();
  if (tag.empty() && source.digest().empty()) tag = "latest";
  return tag;
}

// Reports the pulled referrers through the progress callback.
void ReportReferrers(const std::vector<Descriptor>& referrers, const RegistryOptions& options) {
  if (!options.progress) return;
  for (const Descriptor& r : referrers) {
    options.progress(fmt::format("pulled referrer {}{}", r.digest.ToString().substr(0, 19),
                                 r.artifact_type.empty() ? "" : " " + r.artifact_type));
  }
}

// An image copied into a store: its root (without a ref.name annotation)
// and the referrers to list untagged with it.
struct CopiedImage {
  Descriptor root;
  std::vector<Descriptor> referrers;
};

// Pulls `source` (the selected platforms; all when none) into `to`: blobs
// (only documents when `documents_only`), documents, the root last; with
// `with_referrers`, the referrers of the root and of every document below.
Result<CopiedImage> PullImageInto(const Reference& source, BlobStore& to,
                                  const std::vector<Platform>& platforms,
                                  const RegistryOptions& options, bool documents_only,
                                  bool with_referrers) {
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<RegistryClient> client,
                        RegistryClient::Create(source.domain(), options));
  const std::string& repo = source.path();
  client->SetScopes({}, {repo});
  OCIB_ASSIGN_OR_RETURN(RemoteManifest root, client->GetManifest(repo, source.Identifier()));
  CopiedImage out;
  out.root = DescribeBytes(root.media_type, root.bytes);
  std::string root_bytes = root.bytes;
  Puller puller(*client, &to, repo, options);
  OCIB_RETURN_IF_ERROR(CollectFromRoot(puller, root, platforms, source, &out.root, &root_bytes));
  // The referrers of what is pulled: the root as written here (a new index
  // of the selected platforms has its own digest) and every document below.
  if (with_referrers && !documents_only) {
    std::vector<Digest> subjects{out.root.digest};
    for (const PulledDoc& d : puller.docs()) subjects.push_back(d.descriptor.digest);
    OCIB_ASSIGN_OR_RETURN(out.referrers, puller.CollectReferrers(std::move(subjects)));
  }
  OCIB_RETURN_IF_ERROR(puller.FetchAll(documents_only));
  OCIB_RETURN_IF_ERROR(puller.StoreDocs());
  OCIB_RETURN_IF_ERROR(to.Put(out.root.media_type, root_bytes, out.root.digest));
  ReportReferrers(out.referrers, options);
  return out;
}

Result<Descriptor> PullInto(const Reference& source, const std::string& layout_dir,
                            const std::string& layout_tag, const std::vector<Platform>& platforms,
                            const RegistryOptions& options, bool documents_only,
                            bool with_referrers) {
  if (!layout_tag.empty() && !IsValidRefName(layout_tag)) {
    return InvalidArgument(fmt::format("invalid layout tag \"{}\"", layout_tag));
  }
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<OciLayout> layout, OciLayout::OpenOrCreate(layout_dir));
  OCIB_ASSIGN_OR_RETURN(CopiedImage pulled, PullImageInto(source, *layout, platforms, options,
                                                          documents_only, with_referrers));
  // One index.json write: the referrers (untagged, as a build lists its
  // SBOMs) and the image, tagged or not.
  OCIB_RETURN_IF_ERROR(
      layout->AddManifest(pulled.root, PulledImageTag(layout_tag, source), pulled.referrers));
  return pulled.root;
}

// Registry to registry without a local copy: documents are fetched (and
// verified), blobs stream from source to destination (the destination
// verifies each digest on PUT ?digest=), or are mounted within one registry.
Result<Descriptor> CopyRemoteToRemote(const Reference& src, const Reference& dst_in,
                                      const RegistryOptions& options,
                                      std::vector<std::string>* pushed, bool with_referrers) {
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<RegistryClient> source,
                        RegistryClient::Create(src.domain(), options));
  source->SetScopes({}, {src.path()});
  OCIB_ASSIGN_OR_RETURN(RemoteManifest root, source->GetManifest(src.path(), src.Identifier()));
  Descriptor root_desc = DescribeBytes(root.media_type, root.bytes);
  Puller walker(*source, nullptr, src.path(), options);
  OCIB_RETURN_IF_ERROR(walker.Collect(root_desc, root.bytes, 0));
  // The image's documents come first in the walker's list; the referrers
  // (and the children of referrer indexes) follow, each after its subject.
  const size_t image_docs = walker.docs().size();
  if (with_referrers) {
    std::vector<Digest> subjects{root_desc.digest};
    for (const PulledDoc& d : walker.docs()) subjects.push_back(d.descriptor.digest);
    OCIB_RETURN_IF_ERROR(walker.CollectReferrers(std::move(subjects)));
  }
  registry::WalkedImage image;
  image.root_bytes = root.bytes;
  image.blobs = walker.blobs();
  for (size_t i = 0; i < walker.docs().size(); ++i) {
    const PulledDoc& d = walker.docs()[i];
    (i < image_docs ? image.children : image.referrers).push_back({d.descriptor, d.bytes});
  }

  Reference dst = dst_in;
  if (dst.tag().empty() && dst.digest().empty() && !src.tag().empty()) dst = dst.WithTag(src.tag());
  std::map<Digest, std::string> mounts;
  if (src.domain() == dst.domain()) {
    for (const Descriptor& b : image.blobs) mounts[b.digest] = src.path();
  }
  RegistryClient* from = source.get();
  const std::string& repo = src.path();
  auto r = registry::PushImage({dst}, options, mounts, root_desc, image,
                               [from, repo](const Descriptor& blob) -> BlobOpener {
                                 return registry::RemoteBlobOpener(*from, repo, blob.digest);
                               });
  if (!r) return std::move(r).error();
  if (pushed != nullptr) *pushed = r->pushed;
  return r->root;
}

// Copies the image `root` of `from` (a layout or an archive) and, with
// `with_referrers`, its referrers (the children of a referrer index before
// it) into `to`: blobs, then documents, the root last.
Result<CopiedImage> CopyLocalInto(ImageSource& from, const Descriptor& root, BlobStore& to,
                                  bool with_referrers) {
  OCIB_ASSIGN_OR_RETURN(registry::WalkedImage image, registry::WalkLayout(from, root));
  if (with_referrers) OCIB_RETURN_IF_ERROR(registry::WalkLayoutReferrers(from, root, image));
  const std::map<Digest, std::string> referrer_blobs = registry::ReferrerBlobOwners(image);
  for (const Descriptor& b : image.blobs) {
    Status s = to.CopyFrom(from, b);
    if (!s) {
      auto owner = referrer_blobs.find(b.digest);
      if (owner == referrer_blobs.end()) return std::move(s).error();
      return std::move(s).error().With(
          fmt::format("copying blob {} of {}", b.digest.ToString(), owner->second));
    }
  }
  for (const registry::WalkedDocument& d : image.children) {
    OCIB_RETURN_IF_ERROR(to.Put(d.descriptor.media_type, d.bytes, d.descriptor.digest));
  }
  CopiedImage out;
  for (const registry::WalkedDocument& d : image.referrers) {
    auto info = registry::DescribeReferrer(d.descriptor, d.bytes);
    if (!info) {
      return std::move(info).error().With(
          fmt::format("copying referrer {}", d.descriptor.digest.ToString()));
    }
    const std::string what =
        fmt::format("copying referrer {}{}", d.descriptor.digest.ToString(),
                    info->subject.empty() ? "" : " of " + info->subject.ToString());
    auto stored = to.Put(d.descriptor.media_type, d.bytes, d.descriptor.digest);
    if (!stored) return std::move(stored).error().With(what);
    if (!info->subject.empty()) out.referrers.push_back(info->descriptor);
  }
  OCIB_RETURN_IF_ERROR(to.Put(root.media_type, image.root_bytes, root.digest));
  out.root = root;
  out.root.annotations.erase(kRefNameAnnotation);
  return out;
}

// Copies the image `root` of `from` (a layout or an archive) into the
// layout at `dst_dir`, tagged `tag` (untagged when empty): the referrers
// with a subject listed untagged, then the tag, in one index.json write.
Result<Descriptor> CopyLocalToLayout(ImageSource& from, const Descriptor& root,
                                     const std::string& dst_dir, const std::string& tag,
                                     bool with_referrers) {
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<OciLayout> to, OciLayout::OpenOrCreate(dst_dir));
  OCIB_ASSIGN_OR_RETURN(CopiedImage copied, CopyLocalInto(from, root, *to, with_referrers));
  OCIB_RETURN_IF_ERROR(to->AddManifest(copied.root, tag, copied.referrers));
  return copied.root;
}

}  // namespace

Result<Descriptor> Pull(const Reference& source, const std::string& layout_dir,
                        const std::string& layout_tag, const std::vector<Platform>& platforms,
                        const RegistryOptions& options, const CopyOptions& copy) {
  bool existed = PathExists(layout_dir);
  auto r = PullInto(source, layout_dir, layout_tag, platforms, options, false, copy.referrers);
  if (!r) {
    if (!existed) fsutil::RemoveAll(layout_dir);
    return std::move(r).error().With(fmt::format("pull {}", source.String()));
  }
  return r;
}

Result<Descriptor> PullDocuments(const Reference& source, const std::string& layout_dir,
                                 const std::string& layout_tag,
                                 const std::vector<Platform>& platforms,
                                 const RegistryOptions& options) {
  bool existed = PathExists(layout_dir);
  auto r = PullInto(source, layout_dir, layout_tag, platforms, options, true, false);
  if (!r) {
    if (!existed) fsutil::RemoveAll(layout_dir);
    return std::move(r).error().With(fmt::format("pull documents of {}", source.String()));
  }
  return r;
}

namespace {

// A private temporary directory (mkdtemp under $TMPDIR or /tmp), removed
// with the holder.
class TempDir {
 public:
  static Result<TempDir> Make() {
    std::string tmpl = fsutil::TempDir() + "/ocib-copy-XXXXXX";
    if (::mkdtemp(tmpl.data()) == nullptr) {
      return IoError(
          fmt::format("creating a temporary directory {}: {}", tmpl, io::ErrnoText(errno)));
    }
    return TempDir(tmpl);
  }
  TempDir(TempDir&& o) noexcept : path_(std::move(o.path_)) { o.path_.clear(); }
  TempDir& operator=(TempDir&&) = delete;
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    if (!path_.empty()) fsutil::RemoveAll(path_);
  }
  const std::string& path() const { return path_; }

 private:
  explicit TempDir(std::string p) : path_(std::move(p)) {}
  std::string path_;
};

// The tag a layout destination gets: its own, else the source's, else latest.
std::string DestinationTag(const ImageLocation& source, const ImageLocation& destination) {
  if (const auto* l = destination.layout(); l != nullptr && l->tag_given) return l->tag;
  if (const auto* a = destination.archive(); a != nullptr && a->tag_given) return a->tag;
  std::string tag = source.SourceTag();
  if (const auto* r = source.registry();
      r != nullptr && tag.empty() && !r->reference.digest().empty()) {
    return "";
  }
  if (!IsValidRefName(tag)) tag = "latest";
  return tag;
}

// A registry source pulled into the layout `dir` for a docker archive: the
// selected platform, or the only one (an error when it has several).
Result<Descriptor> PullOnePlatform(const Reference& ref, const std::string& dir,
                                   const RegistryOptions& options, const CopyOptions& copy) {
  if (copy.platforms.empty()) {
    OCIB_ASSIGN_OR_RETURN(Descriptor docs, PullDocuments(ref, dir, "latest", {}, options));
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<OciLayout> layout, OciLayout::Open(dir));
    std::unique_ptr<ImageSource> source = LayoutImageSource(*layout);
    OCIB_ASSIGN_OR_RETURN(std::vector<Platform> all, ImagePlatforms(*source, docs));
    if (all.size() > 1) {
      std::vector<std::string> names;
      names.reserve(all.size());
      for (const Platform& p : all) names.push_back(p.ToString());
      return InvalidArgument(
          fmt::format("a docker archive holds one platform and {} has {} ({}); select one platform",
                      ref.String(), all.size(), fmt::join(names, ", ")));
    }
  }
  CopyOptions c = copy;
  c.referrers = false;
  return Pull(ref, dir, "latest", copy.platforms, options, c);
}

// Copies into a docker archive or an OCI archive.
Result<Descriptor> CopyToArchive(const ImageLocation& source, const ArchiveLocation& dst,
                                 const RegistryOptions& options, const CopyOptions& copy) {
  const bool docker = dst.kind == ArchiveLocation::Kind::kDocker;
  if (docker && copy.platforms.size() > 1) {
    return InvalidArgument("a docker archive holds one platform; several were selected");
  }
  ArchiveLocation archive = dst;
  archive.tag = DestinationTag(source, ImageLocation{dst});
  const auto* remote = source.registry();
  if (remote != nullptr && !docker) {
    // Straight from the registry into the archive's blobs.
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<ArchiveWriter> to, ArchiveWriter::Create(archive, 0));
    auto pulled =
        PullImageInto(remote->reference, *to, copy.platforms, options, false, copy.referrers);
    if (!pulled) {
      return std::move(pulled).error().With(fmt::format("pull {}", remote->reference.String()));
    }
    OCIB_RETURN_IF_ERROR(to->Commit(pulled->root, pulled->referrers));
    return pulled->root;
  }
  // A docker archive is written from a layout: a registry's image is
  // pulled into a private one first.
  std::optional<TempDir> tmp;
  std::unique_ptr<ImageSource> from;
  Descriptor root;
  if (remote != nullptr) {
    OCIB_ASSIGN_OR_RETURN(TempDir made, TempDir::Make());
    tmp.emplace(std::move(made));
    const std::string staged = tmp->path() + "/layout";
    OCIB_ASSIGN_OR_RETURN(root, PullOnePlatform(remote->reference, staged, options, copy));
    OCIB_ASSIGN_OR_RETURN(
        from, OpenImageSource(ImageLocation{LayoutLocation{staged, "latest", true, ""}}));
  } else {
    OCIB_ASSIGN_OR_RETURN(from, OpenImageSource(source));
    OCIB_ASSIGN_OR_RETURN(root, ResolveImage(*from, source));
  }
  if (docker) {
    std::optional<Platform> platform;
    if (!copy.platforms.empty()) platform = copy.platforms.front();
    std::vector<std::string> tags;
    if (!dst.repo_tag.empty()) tags.push_back(dst.repo_tag);
    OCIB_RETURN_IF_ERROR(WriteDockerArchive(*from, root, platform, tags, dst.path));
    return root;
  }
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<ArchiveWriter> to, ArchiveWriter::Create(archive, 0));
  OCIB_ASSIGN_OR_RETURN(CopiedImage copied, CopyLocalInto(*from, root, *to, copy.referrers));
  OCIB_RETURN_IF_ERROR(to->Commit(copied.root, copied.referrers));
  return copied.root;
}

Result<Descriptor> CopyTo(const ImageLocation& source, const ImageLocation& destination,
                          const RegistryOptions& options, std::vector<std::string>* pushed,
                          const CopyOptions& copy) {
  if (const auto* a = destination.archive()) return CopyToArchive(source, *a, options, copy);
  if (const auto* r = source.registry()) {
    if (const auto* l = destination.layout()) {
      return Pull(r->reference, l->path, DestinationTag(source, destination), copy.platforms,
                  options, copy);
    }
    return CopyRemoteToRemote(r->reference, destination.registry()->reference, options, pushed,
                              copy.referrers);
  }
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<ImageSource> from, OpenImageSource(source));
  OCIB_ASSIGN_OR_RETURN(Descriptor root, ResolveImage(*from, source));
  if (const auto* l = destination.layout()) {
    return CopyLocalToLayout(*from, root, l->path, DestinationTag(source, destination),
                             copy.referrers);
  }
  Reference dst = destination.registry()->reference;
  std::string tag = source.SourceTag();
  if (dst.tag().empty() && dst.digest().empty() && !tag.empty() && IsValidTag(tag)) {
    dst = dst.WithTag(tag);
  }
  OCIB_ASSIGN_OR_RETURN(PushResult r, registry::PushSource(*from, root, {dst}, options, {},
                                                           std::nullopt, copy.referrers));
  if (pushed != nullptr) *pushed = r.pushed;
  return r.root;
}

}  // namespace

Result<Descriptor> Copy(const ImageLocation& source, const ImageLocation& destination,
                        const RegistryOptions& options, std::vector<std::string>* pushed,
                        const CopyOptions& copy) {
  auto r = CopyTo(source, destination, options, pushed, copy);
  if (!r) {
    return std::move(r).error().With(
        fmt::format("copy {} to {}", source.ToString(), destination.ToString()));
  }
  return r;
}

}  // namespace ocib

namespace ocib {
namespace {

// Keeps one fetched blob in memory (configs are small).
class StringStore : public BlobStore {
 public:
  std::string data;
  Result<bool> Has(const Digest& /*digest*/) override { return false; }
  Result<std::unique_ptr<BlobWriter>> NewWriter() override {
    return std::unique_ptr<BlobWriter>(new StringWriter(&data));
  }
  Result<std::unique_ptr<Reader>> Open(const Digest& /*digest*/) override {
    return Error(ErrorCode::kUnimplemented, "not readable");
  }

 private:
  class StringWriter : public BlobWriter {
   public:
    explicit StringWriter(std::string* target) : target_(target) {}
    Status Write(const void* p, size_t n) override {
      buf_.append(static_cast<const char*>(p), n);
      return OkStatus();
    }
    Result<Descriptor> Commit(std::string_view mt, std::optional<Digest> /*expected*/) override {
      *target_ = buf_;
      return DescribeBytes(mt, buf_);
    }
    void Abort() override {}

   private:
    std::string* target_;
    std::string buf_;
  };
};

// Fetches each distinct manifest and config of one repository once: an
// index may list one manifest many times.
class InspectFetcher {
 public:
  InspectFetcher(RegistryClient& client, const std::string& repo) : client_(client), repo_(repo) {}

  Result<const std::string*> Manifest(const Digest& digest) {
    auto it = manifests_.find(digest);
    if (it != manifests_.end()) return &it->second;
    OCIB_ASSIGN_OR_RETURN(RemoteManifest m, client_.GetManifest(repo_, digest.ToString()));
    return &manifests_.emplace(digest, std::move(m.bytes)).first->second;
  }

  Result<const std::string*> Config(const Descriptor& config) {
    auto it = configs_.find(config.digest);
    if (it != configs_.end()) return &it->second;
    StringStore store;
    OCIB_RETURN_IF_ERROR(client_.FetchBlob(repo_, config, store));
    return &configs_.emplace(config.digest, std::move(store.data)).first->second;
  }

 private:
  RegistryClient& client_;
  const std::string& repo_;
  std::map<Digest, std::string> manifests_;
  std::map<Digest, std::string> configs_;
};

Result<std::vector<std::string>> InspectWith(RegistryClient& client, const Reference& reference) {
  const std::string& repo = reference.path();
  OCIB_ASSIGN_OR_RETURN(RemoteManifest root, client.GetManifest(repo, reference.Identifier()));
  std::vector<std::string> out{root.bytes};
  InspectFetcher fetch(client, repo);
  std::vector<const std::string*> manifests;
  if (media_type::IsIndex(root.media_type)) {
    OCIB_ASSIGN_OR_RETURN(Index index, Index::Parse(root.bytes));
    for (const Descriptor& d : index.manifests) {
      if (!media_type::IsManifest(d.media_type)) continue;
      OCIB_ASSIGN_OR_RETURN(const std::string* bytes, fetch.Manifest(d.digest));
      out.push_back(*bytes);
      manifests.push_back(bytes);
    }
  } else {
    manifests.push_back(&root.bytes);
  }
  for (const std::string* bytes : manifests) {
    OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(*bytes));
    OCIB_ASSIGN_OR_RETURN(const std::string* config, fetch.Config(m.config));
    out.push_back(*config);
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> InspectRemote(const Reference& reference,
                                               const RegistryOptions& options) {
  std::string what = "inspect " + reference.String();
  auto client = RegistryClient::Create(reference.domain(), options);
  if (!client) return std::move(client).error().With(what);
  auto r = InspectWith(**client, reference);
  if (!r) return std::move(r).error().With(what);
  return r;
}

}  // namespace ocib
