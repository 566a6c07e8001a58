// The layer cache: keys from the FileTree's content and metadata, entries
// as small JSON files, blobs in an OCI layout. See ocib/layer_cache.h.
#include "ocib/layer_cache.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdlib>
#include <ctime>
#include <filesystem>
#include <set>

#include <fmt/format.h>
#include <nlohmann/json.hpp>
#include <zlib.h>
#include <zstd.h>

#include "ocib/digest.h"
#include "ocib/oci_layout.h"

#include "lib/archive/layer_pipeline.h"
#include "lib/core/env.h"
#include "lib/io/checksum.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include <sys/stat.h>

namespace ocib {

namespace {

// Bump when the tar writer or the layer pipeline changes the bytes it
// produces for the same inputs.
constexpr int kLayerFormatVersion = 2;

bool IsHex64(std::string_view s) {
  auto lower_hex = [](char c) { return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'); };
  return s.size() == 64 && std::ranges::all_of(s, lower_hex);
}

// Writes `bytes` to `path` through a temporary file and a rename, without
// fsync: a lost or empty file after a crash is only a cache miss.
bool WriteQuietly(const std::string& path, std::string_view bytes) {
  return static_cast<bool>(fsutil::WriteFileAtomic(path, bytes, 0644, fsutil::Sync::kNone));
}

std::string ShardedPath(const std::string& dir, const std::string& hex, std::string_view ext) {
  return dir + "/" + hex.substr(0, 2) + "/" + hex + std::string(ext);
}

struct FileStat {
  bool ok = false;
  struct stat st {};
};

FileStat StatOf(const std::string& path) {
  FileStat s;
  s.ok = ::stat(path.c_str(), &s.st) == 0;
  return s;
}

bool SameStat(const struct stat& a, const struct stat& b) {
  return a.st_dev == b.st_dev && a.st_ino == b.st_ino && a.st_size == b.st_size &&
         a.st_mtim.tv_sec == b.st_mtim.tv_sec && a.st_mtim.tv_nsec == b.st_mtim.tv_nsec &&
         a.st_ctim.tv_sec == b.st_ctim.tv_sec && a.st_ctim.tv_nsec == b.st_ctim.tv_nsec;
}

std::string StatIdentity(const std::string& path, const struct stat& st) {
  nlohmann::json j = {path,
                      static_cast<uint64_t>(st.st_dev),
                      static_cast<uint64_t>(st.st_ino),
                      static_cast<int64_t>(st.st_size),
                      static_cast<int64_t>(st.st_mtim.tv_sec),
                      static_cast<int64_t>(st.st_mtim.tv_nsec),
                      static_cast<int64_t>(st.st_ctim.tv_sec),
                      static_cast<int64_t>(st.st_ctim.tv_nsec)};
  return Digest::Sha256Of(j.dump()).encoded();
}

Result<std::string> HashFile(const std::string& path) {
  OCIB_ASSIGN_OR_RETURN(auto reader, io::FileReader::Open(path));
  Sha256Hasher h;
  std::string buf(size_t{1} << 20, '\0');
  while (true) {
    OCIB_ASSIGN_OR_RETURN(size_t n, reader->Read(buf.data(), buf.size()));
    if (n == 0) return h.Finish().encoded();
    h.Update(buf.data(), n);
  }
}

std::string_view TypeName(FileEntry::Type t) {
  switch (t) {
    case FileEntry::Type::kRegular:
      return "file";
    case FileEntry::Type::kDirectory:
      return "dir";
    case FileEntry::Type::kSymlink:
      return "symlink";
    case FileEntry::Type::kHardlink:
      return "hardlink";
  }
  return "?";
}

}  // namespace

LayerCache::LayerCache(std::string dir, std::unique_ptr<OciLayout> blobs)
    : dir_(std::move(dir)), blobs_(std::move(blobs)) {}

LayerCache::~LayerCache() = default;

Result<std::string> LayerCache::DefaultDir() {
  const std::string xdg = env::GetOr("XDG_CACHE_HOME", "");
  if (xdg.starts_with('/')) return xdg + "/ocib";
  const std::string home = env::GetOr("HOME", "");
  if (home.starts_with('/')) return home + "/.cache/ocib";
  return InvalidArgument(
      "no layer cache directory: neither XDG_CACHE_HOME nor HOME is an absolute path "
      "(set one, give a cache directory, or build without the cache)");
}

Result<std::unique_ptr<LayerCache>> LayerCache::Open(const std::string& dir) {
  if (dir.empty()) return InvalidArgument("layer cache: empty directory name");
  if (Status st = fsutil::MakeDirs(dir); !st)
    return std::move(st).error().With("opening the layer cache");
  auto blobs = OciLayout::OpenOrCreate(dir + "/layers");
  if (!blobs) return std::move(blobs).error().With(fmt::format("opening the layer cache {}", dir));
  return std::unique_ptr<LayerCache>(new LayerCache(dir, std::move(*blobs)));
}

Result<std::string> LayerCache::ContentDigest(const std::string& path) {
  FileStat before = StatOf(path);
  if (!before.ok) {
    int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 fmt::format("stat {}: {}", path, io::ErrnoText(err)));
  }
  const std::string memo = ShardedPath(dir_ + "/files", StatIdentity(path, before.st), "");
  if (auto text = fsutil::ReadFile(memo, 128); text && IsHex64(*text)) return *text;
  OCIB_ASSIGN_OR_RETURN(std::string hex, HashFile(path));
  // Remember it only when the file did not change while it was read and
  // is old enough that a later write must change its timestamps.
  FileStat after = StatOf(path);
  if (after.ok && SameStat(before.st, after.st) &&
      after.st.st_mtim.tv_sec + 2 < std::time(nullptr)) {
    WriteQuietly(memo, hex);
  }
  return hex;
}

Result<std::string> LayerCache::Key(const FileTree& tree, const LayerOptions& options) {
  nlohmann::json j = nlohmann::json::array();
  j.push_back({"ocib-layer", kLayerFormatVersion, ZSTD_versionNumber(), zlibVersion()});
  j.push_back({std::string(CompressionName(options.compression)), options.level, options.mtime});
  if (!tree.content_id().empty()) {
    j.push_back({"content-id", tree.content_id()});
    return Digest::Sha256Of(j.dump()).encoded();
  }
  for (const FileEntry& e : tree.SortedEntries()) {
    std::string content;
    if (e.type == FileEntry::Type::kRegular) {
      if (e.content) {
        content = Digest::Sha256Of(*e.content).encoded();
      } else {
        auto hex = ContentDigest(e.source);
        if (!hex) {
          return std::move(hex).error().With(
              fmt::format("hashing {} for the layer cache", e.source));
        }
        content = *hex;
      }
    } else {
      content = e.link_target;
    }
    j.push_back({e.path, std::string(TypeName(e.type)), e.mode, e.uid, e.gid, e.size, content});
  }
  return Digest::Sha256Of(j.dump()).encoded();
}

std::string LayerCache::EntryPath(const std::string& key) const {
  return ShardedPath(dir_ + "/keys", key, ".json");
}

// What an entry file says: the layer, and the checksum (lib/io/checksum.h)
// of its blob as it was written. Entries written before ocib recorded
// checksums have none; their blobs are checked by sha256.
struct LayerCache::Entry {
  Layer layer;
  std::string checksum;
};

namespace {

// An entry's fields by type: json::value() throws on a field of another
// type, and converts a float out of int64's range (undefined behaviour).
std::string StringField(const nlohmann::json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

int64_t IntegerField(const nlohmann::json& j, const char* key, int64_t fallback) {
  auto it = j.find(key);
  return it != j.end() && it->is_number_integer() ? it->get<int64_t>() : fallback;
}

}  // namespace

std::optional<LayerCache::Entry> LayerCache::ParseEntry(const std::string& text,
                                                        const std::string& key) {
  auto j = nlohmann::json::parse(text, nullptr, false);
  if (!j.is_object() || StringField(j, "key") != key) return std::nullopt;
  auto digest = Digest::Parse(StringField(j, "digest"));
  auto diff_id = Digest::Parse(StringField(j, "diffID"));
  if (!digest || !diff_id || IntegerField(j, "size", -1) < 0) return std::nullopt;
  Entry entry;
  Layer& layer = entry.layer;
  layer.descriptor.media_type = StringField(j, "mediaType");
  layer.descriptor.digest = *digest;
  layer.descriptor.size = IntegerField(j, "size", 0);
  layer.diff_id = *diff_id;
  layer.uncompressed_size = IntegerField(j, "uncompressedSize", 0);
  entry.checksum = StringField(j, "checksum");
  if (!entry.checksum.starts_with(io::kChecksumPrefix)) entry.checksum.clear();
  return entry;
}

std::string LayerCache::EntryText(const std::string& key, const Entry& entry) {
  const Layer& layer = entry.layer;
  nlohmann::json j = {{"key", key},
                      {"mediaType", layer.descriptor.media_type},
                      {"digest", layer.descriptor.digest.ToString()},
                      {"size", layer.descriptor.size},
                      {"diffID", layer.diff_id.ToString()},
                      {"uncompressedSize", layer.uncompressed_size},
                      {"checksum", entry.checksum}};
  return j.dump();
}

std::optional<Layer> LayerCache::Peek(const std::string& key, const LayerOptions& options) {
  std::optional<Entry> entry = PeekEntry(key, options);
  if (!entry) return std::nullopt;
  return std::move(entry->layer);
}

std::optional<LayerCache::Entry> LayerCache::PeekEntry(const std::string& key,
                                                       const LayerOptions& options) {
  auto text = fsutil::ReadFile(EntryPath(key), 4096);
  if (!text) return std::nullopt;
  std::optional<Entry> entry = ParseEntry(*text, key);
  if (!entry || entry->layer.descriptor.media_type != LayerMediaType(options.compression)) {
    return std::nullopt;
  }
  return entry;
}

bool LayerCache::BlobIntact(const std::string& key, const Entry& entry) {
  const Descriptor& d = entry.layer.descriptor;
  const bool recorded = !entry.checksum.empty();
  // With a recorded checksum, one fast pass; without (an entry of an older
  // ocib), the sha256, and the checksum recorded for next time.
  auto sums = io::SumFile(blobs_->BlobPath(d.digest), /*with_sha256=*/!recorded);
  if (!sums || sums->size != d.size) return false;
  if (recorded) return sums->checksum == entry.checksum;
  if (sums->sha256 != d.digest) return false;
  WriteQuietly(EntryPath(key), EntryText(key, Entry{entry.layer, sums->checksum}));
  return true;
}

void LayerCache::MarkUsed(const std::string& key) {
  ::utimensat(AT_FDCWD, EntryPath(key).c_str(), nullptr, 0);
}

void LayerCache::Drop(const std::string& key, const std::optional<Entry>& entry) {
  ::unlink(EntryPath(key).c_str());
  if (entry) ::unlink(blobs_->BlobPath(entry->layer.descriptor.digest).c_str());
}

std::optional<Layer> LayerCache::Find(const std::string& key, BlobStore& store,
                                      const LayerOptions& options) {
  std::optional<Entry> entry = PeekEntry(key, options);
  if (entry) {
    const Layer& layer = entry->layer;
    auto has = store.Has(layer.descriptor.digest);
    if (has && *has) {
      MarkUsed(key);
      return layer;
    }
    if (store.LinksFiles()) {
      // A store of files: check the blob, then hard-link it (no copy).
      if (BlobIntact(key, *entry)) {
        MarkUsed(key);
        return Place(layer, store) ? std::optional<Layer>(layer) : std::nullopt;
      }
    } else if (store.CopyFrom(*blobs_, layer.descriptor)) {
      MarkUsed(key);
      return layer;  // its sha256 checked on the way
    }
  }
  // Unreadable, mismatched or corrupt: drop the entry and its blob.
  Drop(key, entry);
  return std::nullopt;
}

std::optional<Layer> LayerCache::Check(const std::string& key, const LayerOptions& options) {
  std::optional<Entry> entry = PeekEntry(key, options);
  if (entry && BlobIntact(key, *entry)) {
    MarkUsed(key);
    return std::move(entry->layer);
  }
  Drop(key, entry);
  return std::nullopt;
}

bool LayerCache::Place(const Layer& layer, BlobStore& store) {
  const Digest& digest = layer.descriptor.digest;
  auto has = store.Has(digest);
  if (has && *has) return true;
  if (store.LinkFile(blobs_->BlobPath(digest), digest)) return true;
  return static_cast<bool>(store.CopyFrom(*blobs_, layer.descriptor));
}

Result<Layer> LayerCache::GetOrBuild(const FileTree& tree, BlobStore& store,
                                     const LayerOptions& options, bool* reused) {
  if (reused != nullptr) *reused = false;
  auto key = Key(tree, options);
  if (!key) return BuildLayer(tree, store, options);  // the build reports the real problem
  if (auto hit = Find(*key, store, options)) {
    if (reused != nullptr) *reused = true;
    return *hit;
  }
  return Build(*key, tree, store, options);
}

Result<Layer> LayerCache::Build(const std::string& key, const FileTree& tree, BlobStore& store,
                                const LayerOptions& options) {
  Entry entry;
  OCIB_ASSIGN_OR_RETURN(entry.layer, BuildLayer(tree, store, options, &entry.checksum));
  const Layer& layer = entry.layer;
  // Record it only if the inputs did not change while the layer was built.
  auto again = Key(tree, options);
  if (!again || *again != key) return layer;
  std::optional<std::string> built = store.LocalFile(layer.descriptor.digest);
  if (!built || !blobs_->LinkFile(*built, layer.descriptor.digest)) {
    if (!blobs_->CopyFrom(store, layer.descriptor)) return layer;
  }
  WriteQuietly(EntryPath(key), EntryText(key, entry));
  return layer;
}

namespace {

// Files older than this are left by writers that died; younger ones may be
// in use.
constexpr int64_t kStaleTempSeconds = 3600;
// A blob no entry names yet may be one a build is about to record.
constexpr int64_t kUnnamedBlobGraceSeconds = 600;

int64_t LastChange(const struct stat& st) {
  return std::max<int64_t>(st.st_mtim.tv_sec, st.st_ctim.tv_sec);
}

Status RemoveFile(const std::string& path) {
  if (::unlink(path.c_str()) == 0 || errno == ENOENT) return {};
  return IoError(fmt::format("remove {}: {}", path, io::ErrnoText(errno)));
}

// The regular files under `dir` (recursively); none when it does not exist.
Result<std::vector<std::string>> FilesUnder(const std::string& dir) {
  namespace fs = std::filesystem;
  std::vector<std::string> files;
  std::error_code ec;
  fs::recursive_directory_iterator it(dir, ec);
  if (ec == std::errc::no_such_file_or_directory) return files;
  for (; !ec && it != fs::recursive_directory_iterator(); it.increment(ec)) {
    std::error_code type_ec;
    if (it->is_regular_file(type_ec)) files.push_back(it->path().string());
  }
  if (ec) return IoError(fmt::format("listing {}: {}", dir, ec.message()));
  std::sort(files.begin(), files.end());
  return files;
}

bool IsTemporary(const std::string& path) {
  return path.find(".tmp-", path.rfind('/') + 1) != std::string::npos;
}

}  // namespace

Result<LayerCache::VerifyResult> LayerCache::Verify(const std::string& dir) {
  struct stat st {};
  if (::stat((dir + "/layers/oci-layout").c_str(), &st) != 0) {
    return NotFound(fmt::format("no layer cache in {} (no layers/oci-layout)", dir));
  }
  VerifyResult result;
  OCIB_ASSIGN_OR_RETURN(std::vector<std::string> entry_files, FilesUnder(dir + "/keys"));
  const std::string blobs_dir = dir + "/layers/blobs/sha256/";
  for (const std::string& path : entry_files) {
    const std::string name = path.substr(path.rfind('/') + 1);
    if (IsTemporary(path) || name.size() != 64 + 5 || name.compare(64, 5, ".json") != 0) continue;
    auto text = fsutil::ReadFile(path, 4096);
    if (!text && text.error().code() == ErrorCode::kNotFound) continue;  // removed meanwhile
    std::optional<Entry> entry;
    if (text) entry = ParseEntry(*text, name.substr(0, 64));
    std::string problem;
    std::string blob;
    if (!entry) {
      problem = fmt::format("entry {} is unreadable or malformed", path);
    } else {
      const Descriptor& d = entry->layer.descriptor;
      blob = blobs_dir + d.digest.encoded();
      auto sums = io::SumFile(blob, /*with_sha256=*/true);
      if (!sums) {
        problem = fmt::format("layer {}: {}", d.digest.ToString(), sums.error().ToString());
      } else if (sums->size != d.size) {
        problem = fmt::format("layer {}: {} bytes, the entry says {}", d.digest.ToString(),
                              sums->size, d.size);
      } else if (sums->sha256 != d.digest) {
        problem = fmt::format("layer {}: its content has digest {}", d.digest.ToString(),
                              sums->sha256->ToString());
      } else if (!entry->checksum.empty() && sums->checksum != entry->checksum) {
        problem = fmt::format("layer {}: the entry's checksum does not match", d.digest.ToString());
      } else {
        ++result.entries_checked;
        result.bytes_checked += sums->size;
        continue;
      }
    }
    OCIB_RETURN_IF_ERROR(RemoveFile(path));
    if (!blob.empty()) OCIB_RETURN_IF_ERROR(RemoveFile(blob));
    ++result.entries_dropped;
    result.problems.push_back(problem + " (dropped)");
  }
  return result;
}

namespace {

// An entry with its blob and last use, as Prune weighs it.
struct EntryUse {
  std::string path;
  std::string blob;  // hex
  int64_t size = 0;  // the blob's
  int64_t used = 0;
};

// The blobs that entries name, by what became of the entries.
struct NamedBlobs {
  std::set<std::string> kept;
  std::set<std::string> dropped;  // named by removed entries only
};

// Removes `path`, unless this is a dry run.
Status DropUnlessDryRun(const std::string& path, const LayerCache::PruneOptions& options) {
  return options.dry_run ? Status() : RemoveFile(path);
}

// Drops the temporary file `path` when its writer has been gone long enough.
Status DropTempIfStale(const std::string& path, const LayerCache::PruneOptions& options,
                       int64_t now) {
  struct stat ts {};
  if (::stat(path.c_str(), &ts) == 0 && now - LastChange(ts) > kStaleTempSeconds) {
    return DropUnlessDryRun(path, options);
  }
  return {};
}

// Keeps the entries, most recently used first, while the rules allow and
// removes the rest; returns the blobs the kept and the removed ones name.
Result<NamedBlobs> KeepRecentEntries(std::vector<EntryUse> entries,
                                     const LayerCache::PruneOptions& options, int64_t now,
                                     LayerCache::PruneResult* result) {
  std::stable_sort(entries.begin(), entries.end(),
                   [](const EntryUse& a, const EntryUse& b) { return a.used > b.used; });
  NamedBlobs named;
  int64_t kept_bytes = 0;
  bool full = false;
  for (const EntryUse& e : entries) {
    bool remove = options.all || full ||
                  (options.unused_for_seconds && now - e.used > *options.unused_for_seconds);
    if (!remove && options.max_bytes && !named.kept.contains(e.blob)) {
      if (kept_bytes + e.size > *options.max_bytes) {
        full = true;  // this one and every older one
        remove = true;
      } else {
        kept_bytes += e.size;
      }
    }
    if (remove) {
      OCIB_RETURN_IF_ERROR(DropUnlessDryRun(e.path, options));
      ++result->entries_removed;
      named.dropped.insert(e.blob);
    } else {
      named.kept.insert(e.blob);
      ++result->entries_kept;
    }
  }
  return named;
}

// Removes the blobs and stale temporary files under layers/blobs that Prune lets go.
Status PruneBlobs(const std::string& dir, const NamedBlobs& named,
                  const LayerCache::PruneOptions& options, int64_t now,
                  LayerCache::PruneResult* result) {
  // Blobs: kept when a kept entry names them, or when no entry names them
  // and they are new (unless everything goes); temporary files when their
  // writer may still run.
  OCIB_ASSIGN_OR_RETURN(std::vector<std::string> blob_files, FilesUnder(dir + "/layers/blobs"));
  for (const std::string& path : blob_files) {
    if (IsTemporary(path)) {
      OCIB_RETURN_IF_ERROR(DropTempIfStale(path, options, now));
      continue;
    }
    struct stat bs {};
    if (::stat(path.c_str(), &bs) != 0) continue;
    const std::string hex = path.substr(path.rfind('/') + 1);
    const bool kept = named.kept.contains(hex);
    const bool unnamed = !kept && !named.dropped.contains(hex);
    if (kept || (unnamed && !options.all && now - LastChange(bs) <= kUnnamedBlobGraceSeconds)) {
      result->bytes_kept += bs.st_size;
      continue;
    }
    OCIB_RETURN_IF_ERROR(DropUnlessDryRun(path, options));
    result->bytes_removed += bs.st_size;
  }
  return {};
}

// Removes the remembered content digests (cheap to compute again) Prune lets go.
Status PruneContentDigests(const std::string& dir, const LayerCache::PruneOptions& options,
                           int64_t now) {
  OCIB_ASSIGN_OR_RETURN(std::vector<std::string> memo_files, FilesUnder(dir + "/files"));
  for (const std::string& path : memo_files) {
    struct stat ms {};
    if (::stat(path.c_str(), &ms) != 0) continue;
    if (IsTemporary(path)) {
      OCIB_RETURN_IF_ERROR(DropTempIfStale(path, options, now));
    } else if (options.all || (options.unused_for_seconds &&
                               now - ms.st_mtim.tv_sec > *options.unused_for_seconds)) {
      OCIB_RETURN_IF_ERROR(DropUnlessDryRun(path, options));
    }
  }
  return {};
}

// Removes the shard directories of keys/ and files/ that are left empty.
void RemoveEmptyShardDirs(const std::string& dir) {
  // rmdir fails on the others; a build that loses one it was writing into
  // records nothing, a cache miss.
  for (const char* sub : {"/keys", "/files"}) {
    std::error_code ec;
    for (auto it = std::filesystem::directory_iterator(dir + sub, ec);
         !ec && it != std::filesystem::directory_iterator(); it.increment(ec)) {
      ::rmdir(it->path().c_str());
    }
  }
}

}  // namespace

Result<LayerCache::PruneResult> LayerCache::Prune(const std::string& dir,
                                                  const PruneOptions& options) {
  struct stat st {};
  if (::stat((dir + "/layers/oci-layout").c_str(), &st) != 0) {
    return NotFound(fmt::format("no layer cache in {} (no layers/oci-layout)", dir));
  }
  const int64_t now = std::time(nullptr);
  PruneResult result;

  // Every entry with its blob and last use; broken ones go at once.
  std::vector<EntryUse> entries;
  OCIB_ASSIGN_OR_RETURN(std::vector<std::string> entry_files, FilesUnder(dir + "/keys"));
  const std::string blobs_dir = dir + "/layers/blobs/sha256/";
  for (const std::string& path : entry_files) {
    if (IsTemporary(path)) {
      OCIB_RETURN_IF_ERROR(DropTempIfStale(path, options, now));
      continue;
    }
    std::string name = path.substr(path.rfind('/') + 1);
    if (name.size() != 64 + 5 || name.compare(64, 5, ".json") != 0) continue;
    struct stat es {};
    if (::stat(path.c_str(), &es) != 0) continue;  // removed meanwhile
    std::optional<Layer> layer;
    if (auto text = fsutil::ReadFile(path, 4096); text) {
      if (auto entry = ParseEntry(*text, name.substr(0, 64))) layer = std::move(entry->layer);
    }
    struct stat bs {};
    if (!layer || ::stat((blobs_dir + layer->descriptor.digest.encoded()).c_str(), &bs) != 0 ||
        bs.st_size != layer->descriptor.size) {
      OCIB_RETURN_IF_ERROR(DropUnlessDryRun(path, options));
      ++result.entries_removed;
      continue;
    }
    entries.push_back({path, layer->descriptor.digest.encoded(), bs.st_size, es.st_mtim.tv_sec});
  }

  // Most recently used first; keep while the rules allow.
  OCIB_ASSIGN_OR_RETURN(NamedBlobs named,
                        KeepRecentEntries(std::move(entries), options, now, &result));
  OCIB_RETURN_IF_ERROR(PruneBlobs(dir, named, options, now, &result));
  OCIB_RETURN_IF_ERROR(PruneContentDigests(dir, options, now));
  // Shard directories left empty.
  if (!options.dry_run) RemoveEmptyShardDirs(dir);
  return result;
}

}  // namespace ocib
