// WithSboms (ocib/image.h): an SBOM per image, made from the Go binary its
// layers hold, attached to the index for WriteImage.
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <fmt/format.h>

#include "ocib/image.h"
#include "ocib/image_config.h"
#include "ocib/media_type.h"
#include "ocib/memory_store.h"

#include "lib/archive/unpack.h"

namespace ocib {
namespace {

constexpr size_t kMaxDocument = size_t{4} << 20;
// The largest file read as a candidate Go binary.
constexpr int64_t kMaxGoBinary = int64_t{1} << 30;

// Reads the Go build information of every ELF regular file of the
// flattened tree (bounded by kMaxGoBinary), by path.
class GoBinarySink : public archive::FlatSink {
 public:
  Status Add(const archive::FlatEntry& entry, Reader* data) override {
    if (entry.type == archive::NodeType::kHardlink) {
      if (auto it = found_.find(entry.link); it != found_.end()) found_[entry.path] = it->second;
      return OkStatus();
    }
    if (data == nullptr || entry.size < 4 || entry.size > kMaxGoBinary) return OkStatus();
    std::string bytes(4, '\0');
    OCIB_RETURN_IF_ERROR(ReadFull(*data, bytes.data(), 4));
    if (bytes !=
        "\x7f"
        "ELF")
      return OkStatus();
    bytes.resize(static_cast<size_t>(entry.size));
    OCIB_RETURN_IF_ERROR(ReadFull(*data, bytes.data() + 4, bytes.size() - 4));
    auto info = ParseGoBuildInfoFromElf(bytes, entry.path);
    if (info) found_[entry.path] = std::make_shared<GoBuildInfo>(std::move(*info));
    return OkStatus();
  }
  Status Finish() override { return OkStatus(); }

  const std::map<std::string, std::shared_ptr<GoBuildInfo>>& found() const { return found_; }

 private:
  static Status ReadFull(Reader& r, char* out, size_t size) {
    while (size > 0) {
      OCIB_ASSIGN_OR_RETURN(size_t n, r.Read(out, size));
      if (n == 0) return DataLoss("a layer entry ends before its size");
      out += n;
      size -= n;
    }
    return OkStatus();
  }

  std::map<std::string, std::shared_ptr<GoBuildInfo>> found_;
};

// The image's layers, each read from its source and verified.
std::vector<archive::NamedLayer> LayersOf(const Image& image) {
  std::vector<archive::NamedLayer> layers;
  for (const Descriptor& d : image.layers) {
    std::shared_ptr<BlobStore> store = image.SourceOf(d.digest).store;
    const Digest digest = d.digest;
    layers.push_back(
        archive::VerifiedLayer(d.digest, d.size, [store, digest](int64_t offset, int64_t length) {
          return store->OpenRange(digest, offset, length);
        }));
  }
  return layers;
}

struct Chosen {
  std::string path;  // in the image, without the leading '/'
  std::shared_ptr<GoBuildInfo> info;
};

// The entrypoint's binary when it is a Go binary, else the only Go binary.
Result<Chosen> ChooseBinary(const std::map<std::string, std::shared_ptr<GoBuildInfo>>& found,
                            const ImageConfig& config) {
  const auto& ep = config.config.entrypoint;
  if (ep && !ep->empty()) {
    std::string_view first = ep->front();
    auto name = archive::CanonicalEntryName(first.substr(first.starts_with("/") ? 1 : 0));
    if (name) {
      if (auto it = found.find(*name); it != found.end()) return Chosen{it->first, it->second};
    }
  }
  if (found.size() == 1) return Chosen{found.begin()->first, found.begin()->second};
  if (found.empty()) return NotFound("its layers hold no Go binary with build information");
  std::string names;
  for (const auto& [path, info] : found) names += (names.empty() ? "/" : ", /") + path;
  return InvalidArgument(
      fmt::format("its layers hold {} Go binaries ({}) and the entrypoint names none of them",
                  found.size(), names));
}

// The SBOM of `image`, or nullopt with `*skipped` saying why there is none.
Result<std::optional<Attachment>> SbomFor(const Image& image, SbomFormat format,
                                          std::string* skipped) {
  OCIB_ASSIGN_OR_RETURN(ImageConfig config, ImageConfig::Parse(image.config.bytes));
  GoBinarySink sink;
  if (auto count = archive::Flatten(LayersOf(image), sink); !count) {
    return std::move(count).error().With("reading its layers");
  }
  auto chosen = ChooseBinary(sink.found(), config);
  if (!chosen) {
    *skipped = chosen.error().message();
    return std::nullopt;
  }
  SbomSubject subject;
  subject.platform = image.platform;
  subject.digest = image.manifest.descriptor.digest;
  subject.binary_path = "/" + chosen->path;
  // The image's own time, as `build` gives both: the same image gets the
  // same SBOM.
  if (IsSbomTime(config.created)) subject.created = config.created;
  // The artifact's manifest, its empty config and the SBOM: held in memory
  // until WriteImage puts them next to the image.
  auto mem = std::make_shared<MemoryBlobStore>();
  OCIB_ASSIGN_OR_RETURN(
      Descriptor art, AttachSbom(*mem, image.manifest.descriptor, format, *chosen->info, subject));
  Attachment out;
  out.manifest.descriptor = art;
  OCIB_ASSIGN_OR_RETURN(out.manifest.bytes, mem->ReadAll(art.digest, kMaxDocument));
  OCIB_ASSIGN_OR_RETURN(Manifest m, Manifest::Parse(out.manifest.bytes));
  out.blobs.push_back(m.config);
  out.blobs.insert(out.blobs.end(), m.layers.begin(), m.layers.end());
  out.subject = image.manifest.descriptor.digest;
  out.store = std::move(mem);
  return std::optional<Attachment>(std::move(out));
}

}  // namespace

Result<ImageIndex> WithSboms(const ImageIndex& index, SbomFormat format,
                             std::vector<std::string>* notes) {
  ImageIndex out = index;
  for (const Image& image : index.images) {
    std::string skipped;
    auto sbom = SbomFor(image, format, &skipped);
    if (!sbom) {
      return std::move(sbom).error().With(fmt::format("making the SBOM of {} ({})",
                                                      image.platform.ToString(),
                                                      image.manifest.descriptor.digest.ToString()));
    }
    if (*sbom) {
      out.attachments.push_back(std::move(**sbom));
    } else if (notes != nullptr) {
      notes->push_back(fmt::format("no SBOM for {}: {}", image.platform.ToString(), skipped));
    }
  }
  return out;
}

}  // namespace ocib
