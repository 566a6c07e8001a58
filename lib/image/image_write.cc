// WriteImage (ocib/image.h): an image model into a layout or a registry.
#include <algorithm>
#include <map>
#include <memory>
#include <set>
#include <utility>

#include <fmt/format.h>

#include "ocib/archive_writer.h"
#include "ocib/image.h"
#include "ocib/oci_layout.h"

#include "lib/io/streams.h"
#include "lib/transfer/image_walk.h"

namespace ocib {
namespace {

// The configs and layers of `index`, deduplicated, configs first; config
// bytes in `configs`.
std::vector<Descriptor> Blobs(const ImageIndex& index, std::map<Digest, std::string>* configs) {
  std::vector<Descriptor> out;
  std::set<Digest> seen;
  for (const Image& i : index.images) {
    if (seen.insert(i.config.descriptor.digest).second) out.push_back(i.config.descriptor);
    (*configs)[i.config.descriptor.digest] = i.config.bytes;
  }
  for (const Image& i : index.images) {
    for (const Descriptor& l : i.layers) {
      if (seen.insert(l.digest).second) out.push_back(l);
    }
  }
  return out;
}

// The source of each layer (the first image that has it), then of each
// attachment's blobs.
std::map<Digest, BlobSource> LayerSources(const ImageIndex& index) {
  std::map<Digest, BlobSource> out;
  for (const Image& i : index.images) {
    for (const Descriptor& l : i.layers) out.emplace(l.digest, i.SourceOf(l.digest));
  }
  for (const Attachment& a : index.attachments) {
    for (const Descriptor& b : a.blobs) out.emplace(b.digest, BlobSource{a.store, ""});
  }
  return out;
}

// The attachments' blobs that the images do not already list.
void AddAttachmentBlobs(const ImageIndex& index, std::vector<Descriptor>* blobs) {
  std::set<Digest> seen;
  for (const Descriptor& b : *blobs) seen.insert(b.digest);
  for (const Attachment& a : index.attachments) {
    for (const Descriptor& b : a.blobs) {
      if (seen.insert(b.digest).second) blobs->push_back(b);
    }
  }
}

BlobOpener OpenerFor(const Descriptor& blob, const std::map<Digest, std::string>& configs,
                     const std::map<Digest, BlobSource>& sources) {
  if (auto it = configs.find(blob.digest); it != configs.end()) {
    std::string bytes = it->second;
    return [bytes](int64_t offset, int64_t) -> Result<std::unique_ptr<Reader>> {
      return std::unique_ptr<Reader>(
          std::make_unique<io::StringReader>(bytes.substr(static_cast<size_t>(offset))));
    };
  }
  std::shared_ptr<BlobStore> store = sources.at(blob.digest).store;
  Digest digest = blob.digest;
  return [store, digest](int64_t offset, int64_t length) -> Result<std::unique_ptr<Reader>> {
    return store->OpenRange(digest, offset, length);
  };
}

// Layers whose source is another repository of `dst`'s registry, mapped to
// that repository.
std::map<Digest, std::string> Mounts(const std::map<Digest, BlobSource>& sources,
                                     const Reference& dst) {
  std::map<Digest, std::string> out;
  const std::string prefix = dst.domain() + "/";
  for (const auto& [digest, src] : sources) {
    if (src.repository.rfind(prefix, 0) != 0) continue;
    std::string repo = src.repository.substr(prefix.size());
    if (repo != dst.path()) out[digest] = repo;
  }
  return out;
}

Result<WrittenImage> WriteToRegistry(const ImageIndex& index, const Reference& dst,
                                     const RegistryOptions& options) {
  WrittenImage out;
  out.root = index.root.descriptor;
  // PushImage finds an image that is all there already (one HEAD of the
  // tag, and of its referrers as options.check_referrers says) and writes
  // nothing then.
  registry::WalkedImage walked;
  walked.root_bytes = index.root.bytes;
  if (index.is_index) {
    for (const Image& i : index.images)
      walked.children.push_back({i.manifest.descriptor, i.manifest.bytes});
  }
  std::map<Digest, std::string> configs;
  walked.blobs = Blobs(index, &configs);
  AddAttachmentBlobs(index, &walked.blobs);
  for (const Attachment& a : index.attachments) {
    walked.referrers.push_back({a.manifest.descriptor, a.manifest.bytes});
  }
  std::map<Digest, BlobSource> sources = LayerSources(index);
  OCIB_ASSIGN_OR_RETURN(
      PushResult pushed,
      registry::PushImage(
          {dst}, options, Mounts(sources, dst), index.root.descriptor, walked,
          [&](const Descriptor& blob) { return OpenerFor(blob, configs, sources); }));
  out.written = pushed.pushed;
  out.unchanged = pushed.up_to_date;
  return out;
}

Status CopyLayers(const ImageIndex& index, BlobStore& store) {
  std::map<Digest, std::string> configs;
  std::map<Digest, BlobSource> sources = LayerSources(index);
  std::vector<Descriptor> blobs = Blobs(index, &configs);
  AddAttachmentBlobs(index, &blobs);
  for (const Descriptor& d : blobs) {
    if (configs.contains(d.digest)) continue;
    OCIB_ASSIGN_OR_RETURN(bool present, store.Has(d.digest));
    if (present) continue;
    Status copied = store.CopyFrom(*sources.at(d.digest).store, d);
    if (!copied)
      return std::move(copied).error().With(fmt::format("copying blob {}", d.digest.ToString()));
  }
  return OkStatus();
}

// The documents of `index` to store with its blobs: configs, manifests
// (an index's), the root, the attachments' manifests.
std::vector<BlobStore::BlobBytes> Documents(const ImageIndex& index) {
  std::vector<BlobStore::BlobBytes> docs;
  for (const Image& i : index.images) {
    docs.push_back({i.config.bytes, i.config.descriptor.digest});
    if (index.is_index) docs.push_back({i.manifest.bytes, i.manifest.descriptor.digest});
  }
  docs.push_back({index.root.bytes, index.root.descriptor.digest});
  for (const Attachment& a : index.attachments) {
    docs.push_back({a.manifest.bytes, a.manifest.descriptor.digest});
  }
  return docs;
}

// The manifests of the image's attachments: the referrers a layout or an
// archive lists untagged beside it.
std::vector<Descriptor> Referrers(const ImageIndex& index) {
  std::vector<Descriptor> out;
  out.reserve(index.attachments.size());
  for (const Attachment& a : index.attachments) out.push_back(a.manifest.descriptor);
  return out;
}

Result<WrittenImage> WriteToLayout(const ImageIndex& index, const LayoutLocation& dst) {
  WrittenImage out;
  out.root = index.root.descriptor;
  const std::string tag = dst.tag_given && !dst.tag.empty() ? dst.tag : "latest";
  out.written.push_back(
      fmt::format("oci:{}:{}@{}", dst.path, tag, index.root.descriptor.digest.ToString()));
  OCIB_ASSIGN_OR_RETURN(auto layout, OciLayout::OpenOrCreate(dst.path));
  auto have = layout->Resolve(tag);
  if (have && have->digest == index.root.descriptor.digest) {
    out.unchanged = true;
    if (!index.attachments.empty()) {
      OCIB_ASSIGN_OR_RETURN(Index listed, layout->ReadIndex());
      out.unchanged = std::ranges::all_of(index.attachments, [&](const Attachment& a) {
        return std::ranges::any_of(listed.manifests, [&](const Descriptor& d) {
          return d.digest == a.manifest.descriptor.digest;
        });
      });
    }
    if (out.unchanged) return out;
  }
  OCIB_RETURN_IF_ERROR(PutImage(index, *layout));
  OCIB_RETURN_IF_ERROR(layout->AddManifest(index.root.descriptor, tag, Referrers(index)));
  return out;
}

// An archive is always written whole: its blobs gathered by an
// ArchiveWriter (entries dated 1970, as `ocib copy` writes archives),
// then packed over the file.
Result<WrittenImage> WriteToArchive(const ImageIndex& index, const ArchiveLocation& dst) {
  WrittenImage out;
  out.root = index.root.descriptor;
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<ArchiveWriter> archive, ArchiveWriter::Create(dst, 0));
  OCIB_RETURN_IF_ERROR(PutImage(index, *archive));
  OCIB_RETURN_IF_ERROR(archive->Commit(index.root.descriptor, Referrers(index)));
  out.written.push_back(
      fmt::format("{}@{}", ImageLocation{dst}.ToString(), index.root.descriptor.digest.ToString()));
  return out;
}

}  // namespace

Result<Descriptor> PutImage(const ImageIndex& image, BlobStore& store) {
  OCIB_RETURN_IF_ERROR(CopyLayers(image, store));
  OCIB_RETURN_IF_ERROR(store.PutAll(Documents(image)));
  return image.root.descriptor;
}

Result<WrittenImage> WriteImage(const ImageIndex& image, const ImageLocation& to,
                                const RegistryOptions& options) {
  if (to.archive() != nullptr) return WriteToArchive(image, *to.archive());
  if (to.layout() != nullptr) return WriteToLayout(image, *to.layout());
  const Reference& dst = to.registry()->reference;
  if (!dst.digest().empty()) return InvalidArgument("the destination must be a tag, not a digest");
  return WriteToRegistry(image, dst, options);
}

}  // namespace ocib
