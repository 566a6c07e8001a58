// The one-pass layer pipeline: ocib's tar writer writes into a chain of
// push sinks (diff_id hasher -> compressor -> digest hasher -> blob writer).

#include <algorithm>
#include <functional>
#include <memory>
#include <vector>

#include <fmt/format.h>

#include "ocib/layer.h"
#include "ocib/media_type.h"

#include "lib/archive/layer_pipeline.h"
#include "lib/archive/tar_writer.h"
#include "lib/io/checksum.h"
#include "lib/io/streams.h"

namespace ocib {

Result<Compression> ParseCompression(std::string_view text) {
  if (text == "zstd") return Compression::kZstd;
  if (text == "gzip") return Compression::kGzip;
  if (text == "none") return Compression::kNone;
  return InvalidArgument(fmt::format("unknown compression \"{}\" (want zstd, gzip or none)", text));
}

std::string_view CompressionName(Compression c) {
  switch (c) {
    case Compression::kZstd:
      return "zstd";
    case Compression::kGzip:
      return "gzip";
    case Compression::kNone:
      return "none";
  }
  return "none";
}

std::string_view LayerMediaType(Compression c) {
  switch (c) {
    case Compression::kZstd:
      return media_type::kLayerTarZstd;
    case Compression::kGzip:
      return media_type::kLayerTarGzip;
    case Compression::kNone:
      return media_type::kLayerTar;
  }
  return media_type::kLayerTar;
}

namespace {

// Counts compressed bytes and forwards to the blob writer.
class BlobSink : public Writer {
 public:
  explicit BlobSink(BlobWriter* blob) : blob_(blob) {}
  Status Write(const void* data, size_t size) override { return blob_->Write(data, size); }
  Status Close() override { return {}; }

 private:
  BlobWriter* blob_;
};

// Counts the tar's bytes for LayerOptions::on_bytes, then forwards them.
class ProgressWriter : public Writer {
 public:
  ProgressWriter(Writer* next, const std::function<void(int64_t)>& report)
      : next_(next), report_(report) {}
  Status Write(const void* data, size_t size) override {
    OCIB_RETURN_IF_ERROR(next_->Write(data, size));
    done_ += static_cast<int64_t>(size);
    if (report_ && done_ - reported_ >= kEvery) {
      reported_ = done_;
      report_(done_);
    }
    return {};
  }
  Status Close() override {
    OCIB_RETURN_IF_ERROR(next_->Close());
    if (report_) report_(done_);
    return {};
  }

 private:
  static constexpr int64_t kEvery = 256 << 10;
  Writer* next_;
  const std::function<void(int64_t)>& report_;
  int64_t done_ = 0;
  int64_t reported_ = 0;
};

tar::EntryType TarType(FileEntry::Type t) {
  switch (t) {
    case FileEntry::Type::kRegular:
      return tar::EntryType::kRegular;
    case FileEntry::Type::kDirectory:
      return tar::EntryType::kDirectory;
    case FileEntry::Type::kSymlink:
      return tar::EntryType::kSymlink;
    case FileEntry::Type::kHardlink:
      return tar::EntryType::kHardlink;
  }
  return tar::EntryType::kRegular;
}

// Writes `entries` as one tar stream into `tar_sink`, every entry stamped
// with `mtime`. A host file whose size changes while it is read is an error.
Status WriteEntries(const std::vector<FileEntry>& entries, Writer* tar_sink, int64_t mtime) {
  tar::TarWriter writer(tar_sink);
  std::vector<char> buf(1 << 17);
  for (const auto& e : entries) {
    tar::Header h;
    h.path = e.path;  // the writer adds a directory's trailing '/'
    h.type = TarType(e.type);
    h.mode = e.mode & 07777;
    h.uid = e.uid;
    h.gid = e.gid;
    h.mtime = mtime;
    if (e.type == FileEntry::Type::kRegular) {
      h.size = e.content ? static_cast<int64_t>(e.content->size()) : e.size;
    }
    if (e.type == FileEntry::Type::kSymlink || e.type == FileEntry::Type::kHardlink) {
      h.link_target = e.link_target;
    }
    OCIB_RETURN_IF_ERROR(writer.WriteHeader(h));
    if (e.type != FileEntry::Type::kRegular) continue;
    if (e.content) {
      OCIB_RETURN_IF_ERROR(writer.WriteData(e.content->data(), e.content->size()));
      continue;
    }
    auto reader = io::FileReader::Open(e.source);
    if (!reader) return std::move(reader).error().With(fmt::format("adding {}", e.path));
    int64_t left = e.size;
    while (left > 0) {
      auto n = (*reader)->Read(buf.data(), static_cast<size_t>(std::min<int64_t>(
                                               left, static_cast<int64_t>(buf.size()))));
      if (!n) return std::move(n).error().With(fmt::format("adding {}", e.path));
      if (*n == 0) return IoError(fmt::format("{} shrank while it was being read", e.source));
      OCIB_RETURN_IF_ERROR(writer.WriteData(buf.data(), *n));
      left -= static_cast<int64_t>(*n);
    }
    auto extra = (*reader)->Read(buf.data(), 1);
    if (extra && *extra != 0)
      return IoError(fmt::format("{} grew while it was being read", e.source));
  }
  return writer.Finish();
}

}  // namespace

Status WriteTreeTar(const FileTree& tree, Writer* sink, int64_t mtime) {
  return WriteEntries(tree.SortedEntries(), sink, mtime);
}

Result<Layer> BuildLayer(const FileTree& tree, BlobStore& store, const LayerOptions& options) {
  return BuildLayer(tree, store, options, nullptr);
}

Result<Layer> BuildLayer(const FileTree& tree, BlobStore& store, const LayerOptions& options,
                         std::string* checksum) {
  OCIB_ASSIGN_OR_RETURN(auto blob, store.NewWriter());
  BlobSink sink(blob.get());
  io::ChecksummingWriter summed(&sink);
  io::HashingWriter compressed(&summed);
  auto compressor =
      io::NewCompressor(options.compression, options.level, options.threads, &compressed);
  io::HashingWriter tar(compressor.get());
  ProgressWriter counted(&tar, options.on_bytes);
  Status st = WriteEntries(tree.SortedEntries(), &counted, options.mtime);
  if (st) st = counted.Close();
  if (!st) {
    blob->Abort();
    return std::move(st).error();
  }
  Layer layer;
  layer.diff_id = tar.Finish();
  layer.uncompressed_size = tar.count();
  Digest digest = compressed.Finish();
  OCIB_ASSIGN_OR_RETURN(layer.descriptor,
                        blob->Commit(LayerMediaType(options.compression), digest));
  if (checksum != nullptr) *checksum = summed.Finish();
  return layer;
}

Status DecompressLayer(Reader& blob, std::string_view media_type, Writer& sink) {
  std::unique_ptr<Reader> owned;
  Reader* src = &blob;
  if (media_type == media_type::kLayerTarGzip || media_type == media_type::kDockerLayerGzip) {
    owned = io::NewGzipReader(&blob);
    src = owned.get();
  } else if (media_type == media_type::kLayerTarZstd) {
    owned = io::NewZstdReader(&blob);
    src = owned.get();
  } else if (media_type != media_type::kLayerTar) {
    return InvalidArgument(fmt::format("unsupported layer media type {}", std::string(media_type)));
  }
  std::vector<char> buf(1 << 17);
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, src->Read(buf.data(), buf.size()));
    if (n == 0) break;
    OCIB_RETURN_IF_ERROR(sink.Write(buf.data(), n));
  }
  return sink.Close();
}

}  // namespace ocib
