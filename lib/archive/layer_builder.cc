// The one-pass layer pipeline: libarchive writes the tar into a chain of
// push sinks (diff_id hasher -> compressor -> digest hasher -> blob writer).

#include <memory>
#include <vector>

#include "ocib/layer.h"
#include "ocib/media_type.h"

#include "lib/archive/libarchive_api.h"
#include "lib/io/streams.h"

namespace ocib {

Result<Compression> ParseCompression(std::string_view text) {
  if (text == "zstd") return Compression::kZstd;
  if (text == "gzip") return Compression::kGzip;
  if (text == "none") return Compression::kNone;
  return InvalidArgument("unknown compression \"" + std::string(text) +
                         "\" (want zstd, gzip or none)");
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

struct ArchiveCtx {
  Writer* sink = nullptr;
  std::optional<Error> error;
};

la_ssize_t ArchiveWriteCallback(struct archive* /*a*/, void* client, const void* buf, size_t size) {
  auto* ctx = static_cast<ArchiveCtx*>(client);
  try {
    Status st = ctx->sink->Write(buf, size);
    if (!st) {
      ctx->error = std::move(st).error();
      return -1;
    }
  } catch (...) {
    ctx->error = Internal("exception in layer writer");
    return -1;
  }
  return static_cast<la_ssize_t>(size);
}

using archive_api::LibarchiveApi;

struct ArchiveDeleter {
  const LibarchiveApi* la;
  void operator()(struct archive* a) const { la->write_free(a); }
};
struct EntryDeleter {
  const LibarchiveApi* la;
  void operator()(struct archive_entry* e) const { la->entry_free(e); }
};

Error ArchiveError(const LibarchiveApi* la, struct archive* a, ArchiveCtx& ctx,
                   const std::string& what) {
  if (ctx.error) return std::move(*ctx.error).With(what);
  const char* msg = la->error_string(a);
  return IoError(what + ": " + (msg != nullptr ? msg : "libarchive error"));
}

Status WriteEntries(const std::vector<FileEntry>& entries, Writer* tar_sink, int64_t mtime) {
  OCIB_ASSIGN_OR_RETURN(const LibarchiveApi* la, archive_api::LoadLibarchive());
  ArchiveCtx ctx;
  ctx.sink = tar_sink;
  std::unique_ptr<struct archive, ArchiveDeleter> a(la->write_new(), ArchiveDeleter{la});
  if (!a) return Internal("archive_write_new failed");
  la->write_set_format_pax_restricted(a.get());
  la->write_add_filter_none(a.get());
  la->write_set_bytes_per_block(a.get(), 512);
  la->write_set_bytes_in_last_block(a.get(), 1);
  if (la->write_open(a.get(), &ctx, nullptr, ArchiveWriteCallback, nullptr) != ARCHIVE_OK) {
    return ArchiveError(la, a.get(), ctx, "starting tar stream");
  }
  std::vector<char> buf(1 << 17);
  for (const auto& e : entries) {
    std::unique_ptr<struct archive_entry, EntryDeleter> ent(la->entry_new(), EntryDeleter{la});
    std::string name = e.path;
    if (e.type == FileEntry::Type::kDirectory) name += '/';
    la->entry_set_pathname_utf8(ent.get(), name.c_str());
    la->entry_set_uid(ent.get(), e.uid);
    la->entry_set_gid(ent.get(), e.gid);
    la->entry_set_mtime(ent.get(), mtime, 0);
    switch (e.type) {
      case FileEntry::Type::kRegular:
        la->entry_set_filetype(ent.get(), AE_IFREG);
        la->entry_set_size(ent.get(), e.size);
        break;
      case FileEntry::Type::kDirectory:
        la->entry_set_filetype(ent.get(), AE_IFDIR);
        la->entry_set_size(ent.get(), 0);
        break;
      case FileEntry::Type::kSymlink:
        la->entry_set_filetype(ent.get(), AE_IFLNK);
        la->entry_set_symlink_utf8(ent.get(), e.link_target.c_str());
        la->entry_set_size(ent.get(), 0);
        break;
      case FileEntry::Type::kHardlink:
        la->entry_set_filetype(ent.get(), AE_IFREG);
        la->entry_set_hardlink_utf8(ent.get(), e.link_target.c_str());
        la->entry_set_size(ent.get(), 0);
        break;
    }
    la->entry_set_perm(ent.get(), e.mode & 07777);
    if (la->write_header(a.get(), ent.get()) != ARCHIVE_OK) {
      return ArchiveError(la, a.get(), ctx, "writing tar header for " + e.path);
    }
    if (e.type != FileEntry::Type::kRegular) continue;
    if (e.content) {
      if (!e.content->empty() &&
          la->write_data(a.get(), e.content->data(), e.content->size()) < 0) {
        return ArchiveError(la, a.get(), ctx, "writing " + e.path);
      }
      continue;
    }
    auto reader = io::FileReader::Open(e.source);
    if (!reader) return std::move(reader).error().With("adding " + e.path);
    int64_t left = e.size;
    while (left > 0) {
      auto n = (*reader)->Read(buf.data(), static_cast<size_t>(std::min<int64_t>(
                                               left, static_cast<int64_t>(buf.size()))));
      if (!n) return std::move(n).error().With("adding " + e.path);
      if (*n == 0) return IoError(e.source + " shrank while it was being read");
      if (la->write_data(a.get(), buf.data(), *n) < 0) {
        return ArchiveError(la, a.get(), ctx, "writing " + e.path);
      }
      left -= static_cast<int64_t>(*n);
    }
    auto extra = (*reader)->Read(buf.data(), 1);
    if (extra && *extra != 0) return IoError(e.source + " grew while it was being read");
  }
  if (la->write_close(a.get()) != ARCHIVE_OK) {
    return ArchiveError(la, a.get(), ctx, "finishing tar stream");
  }
  return {};
}

}  // namespace

Result<Layer> BuildLayer(const FileTree& tree, BlobStore& store, const LayerOptions& options) {
  OCIB_ASSIGN_OR_RETURN(auto blob, store.NewWriter());
  BlobSink sink(blob.get());
  io::HashingWriter compressed(&sink);
  auto compressor =
      io::NewCompressor(options.compression, options.level, options.threads, &compressed);
  io::HashingWriter tar(compressor.get());
  Status st = WriteEntries(tree.SortedEntries(), &tar, options.mtime);
  if (st) st = tar.Close();
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
    return InvalidArgument("unsupported layer media type " + std::string(media_type));
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
