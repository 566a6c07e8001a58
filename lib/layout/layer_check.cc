#include "lib/layout/layer_check.h"

#include <algorithm>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ocib/media_type.h"

namespace ocib {
namespace {

// The compression a layer media type names ("" for a plain tar).
std::string_view CompressionOfMediaType(std::string_view media_type) {
  if (media_type == media_type::kLayerTarGzip || media_type == media_type::kDockerLayerGzip) {
    return "gzip";
  }
  if (media_type == media_type::kLayerTarZstd) return "zstd";
  return "";
}

std::string_view Named(std::string_view compression) {
  return compression.empty() ? "uncompressed" : compression;
}

}  // namespace

std::string_view CompressionOfMagic(std::string_view head) {
  if (head.size() >= 2 && head[0] == '\x1f' && head[1] == '\x8b') return "gzip";
  if (head.size() >= 4 && head.substr(0, 4) == std::string_view("\x28\xb5\x2f\xfd", 4)) {
    return "zstd";
  }
  return "";
}

Status CheckLayerBlob(BlobStore& store, const Descriptor& layer) {
  const std::string name = layer.digest.ToString();
  if (!Digest::IsSupportedAlgorithm(layer.digest.algorithm())) {
    return InvalidArgument(fmt::format("cannot verify layer \"{}\"", name));
  }
  OCIB_ASSIGN_OR_RETURN(auto reader, store.Open(layer.digest));
  DigestHasher hasher(layer.digest.algorithm());
  std::string head;
  std::vector<char> buf(size_t{1} << 17);
  int64_t total = 0;
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) break;
    total += static_cast<int64_t>(n);
    if (total > layer.size) {
      return DataLoss(
          fmt::format("layer {} has more bytes than its descriptor's {}", name, layer.size));
    }
    if (head.size() < 4) head.append(buf.data(), std::min<size_t>(n, 4 - head.size()));
    hasher.Update(buf.data(), n);
  }
  if (total != layer.size) {
    return DataLoss(
        fmt::format("layer {} has {} bytes, its descriptor says {}", name, total, layer.size));
  }
  if (Digest got = hasher.Finish(); got != layer.digest) {
    return DataLoss(fmt::format("layer {} does not match its digest (its content is {})", name,
                                got.ToString()));
  }
  if (!media_type::IsLayer(layer.media_type)) return {};
  std::string_view want = CompressionOfMediaType(layer.media_type);
  std::string_view got = CompressionOfMagic(head);
  if (want != got) {
    return InvalidArgument(fmt::format("layer {} is {} by its media type {} but its bytes are {}",
                                       name, Named(want), layer.media_type, Named(got)));
  }
  return {};
}

}  // namespace ocib
