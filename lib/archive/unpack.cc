// Flattening image layers (see unpack.h): reading layer tars with
// libarchive and working out the final tree.
#include "lib/archive/unpack.h"

#include <archive_entry.h>

#include <cerrno>
#include <deque>
#include <optional>
#include <string_view>
#include <utility>

#include <archive.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "lib/archive/libarchive_api.h"
#include "lib/archive/libarchive_error.h"
#include "lib/io/verify.h"

namespace ocib::archive {
namespace {

constexpr size_t kMaxPath = 4096;
constexpr size_t kMaxNodes = size_t{4} << 20;
constexpr int kMaxSymlinkHops = 40;
constexpr std::string_view kWhiteout = ".wh.";
constexpr std::string_view kOpaque = ".wh..wh..opq";

struct ArchiveFree {
  const LibarchiveApi* api;
  void operator()(struct archive* a) const { api->read_free(a); }
};

// Feeds libarchive from an ocib Reader; a reader error is kept here.
struct ReadContext {
  const LibarchiveApi* api = nullptr;
  Reader* reader = nullptr;
  std::vector<char> buffer = std::vector<char>(size_t{1} << 16);
  std::optional<Error> error;
};

la_ssize_t ReadCallback(struct archive* a, void* data, const void** out) {
  auto* ctx = static_cast<ReadContext*>(data);
  auto n = ctx->reader->Read(ctx->buffer.data(), ctx->buffer.size());
  if (!n) {
    ctx->error = n.error();
    ctx->api->set_error(a, EIO, "%s", "reading the layer failed");
    return -1;
  }
  *out = ctx->buffer.data();
  return static_cast<la_ssize_t>(*n);
}

// A layer open for reading with libarchive.
class LayerReader {
 public:
  LayerReader(const LibarchiveApi& api, std::string name, std::unique_ptr<Reader> reader)
      : api_(api),
        name_(std::move(name)),
        reader_(std::move(reader)),
        a_(api.read_new(), ArchiveFree{&api}) {
    ctx_.api = &api;
    ctx_.reader = reader_.get();
  }

  Status Open() {
    if (!a_) return Internal("archive_read_new failed");
    api_.read_support_filter_gzip(a_.get());
    api_.read_support_filter_zstd(a_.get());
    api_.read_support_format_tar(a_.get());
    api_.read_support_format_empty(a_.get());
    if (api_.read_open(a_.get(), &ctx_, nullptr, ReadCallback, nullptr) != ARCHIVE_OK) {
      return Failure("opening");
    }
    return {};
  }

  // The next entry, or null at the end of the layer.
  Result<struct archive_entry*> Next() {
    struct archive_entry* entry = nullptr;
    const int r = api_.read_next_header(a_.get(), &entry);
    if (r == ARCHIVE_EOF) return nullptr;
    if (r != ARCHIVE_OK && r != ARCHIVE_WARN) return Failure("reading an entry header");
    return entry;
  }

  // Reads the rest of the stream so that its digest is checked.
  Status Drain() {
    while (true) {
      OCIB_ASSIGN_OR_RETURN(size_t n, reader_->Read(ctx_.buffer.data(), ctx_.buffer.size()));
      if (n == 0) return {};
    }
  }

  Error Failure(std::string_view what) {
    if (ctx_.error) {
      Error copy = *ctx_.error;
      return std::move(copy).With(fmt::format("{} {}", what, name_));
    }
    return InvalidArgument(fmt::format("{} {}: not a readable layer tar: {}", what, name_,
                                       tar::ArchiveErrorText(api_, a_.get())));
  }

  struct archive* get() {
    return a_.get();
  }
  const LibarchiveApi& api() const { return api_; }
  const std::string& name() const { return name_; }

 private:
  const LibarchiveApi& api_;
  std::string name_;
  std::unique_ptr<Reader> reader_;
  ReadContext ctx_;
  std::unique_ptr<struct archive, ArchiveFree> a_;
};

// Reads the current entry's data for a sink.
class EntryDataReader : public Reader {
 public:
  explicit EntryDataReader(LayerReader& layer) : layer_(layer) {}
  Result<size_t> Read(void* data, size_t size) override {
    const la_ssize_t n = layer_.api().read_data(layer_.get(), data, size);
    if (n < 0) return layer_.Failure("reading file data of");
    return static_cast<size_t>(n);
  }

 private:
  LayerReader& layer_;
};

std::vector<std::string> SplitPath(std::string_view path) {
  std::vector<std::string> parts;
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    if (slash == std::string_view::npos) slash = path.size();
    std::string_view part = path.substr(start, slash - start);
    if (!part.empty()) parts.emplace_back(part);
    start = slash + 1;
  }
  return parts;
}

bool IsBelow(std::string_view path, std::string_view dir) {
  return dir.empty() ||
         (path.size() > dir.size() && path.starts_with(dir) && path[dir.size()] == '/');
}

std::string Join(std::string_view dir, std::string_view name) {
  return dir.empty() ? std::string(name) : fmt::format("{}/{}", dir, name);
}

struct Node {
  FlatEntry entry;
  bool implicit = false;  // a parent no entry named
  size_t layer = 0;
  size_t seq = 0;  // the entry's position in its layer
};

// The tree as layers are applied (pass one).
class Tree {
 public:
  explicit Tree(const LibarchiveApi& api) : api_(api) {}
  Status Apply(LayerReader& layer, size_t index, std::vector<std::string>& placed);
  const std::map<std::string, Node>& nodes() const { return nodes_; }

 private:
  Status ApplyEntry(struct archive_entry* e, size_t layer, size_t seq, std::string& placed);
  Status Whiteout(const std::string& dir, std::string_view base, size_t layer);
  Status Add(const std::string& path, Node node);
  // The canonical directory `parts` names after following symlinks; null
  // when a component is missing and `create` is false (then missing
  // components become implicit directories of `layer`).
  Result<std::optional<std::string>> ResolveDir(const std::vector<std::string>& parts, bool create,
                                                size_t layer);
  // Erases `path` (unless `keep_self`) and what lies below it, of layers
  // below `below` (all layers when `below` is npos).
  void Erase(const std::string& path, bool keep_self, size_t below);
  Result<Node> MakeNode(struct archive_entry* e, const std::string& name);

  const LibarchiveApi& api_;
  std::map<std::string, Node> nodes_;
};

Result<std::optional<std::string>> Tree::ResolveDir(const std::vector<std::string>& parts,
                                                    bool create, size_t layer) {
  std::deque<std::string> todo(parts.begin(), parts.end());
  std::vector<std::string> stack;
  std::string cur;
  int hops = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part.empty() || part == ".") continue;
    if (part == "..") {
      if (!stack.empty()) stack.pop_back();
      cur = fmt::format("{}", fmt::join(stack, "/"));
      continue;
    }
    std::string next = Join(cur, part);
    auto it = nodes_.find(next);
    if (it == nodes_.end()) {
      if (!create) return std::optional<std::string>();
      if (nodes_.size() >= kMaxNodes) {
        return InvalidArgument(fmt::format("more than {} entries", kMaxNodes));
      }
      Node dir;
      dir.entry.path = next;
      dir.entry.type = NodeType::kDirectory;
      dir.entry.mode = 0755;
      dir.implicit = true;
      dir.layer = layer;
      it = nodes_.emplace(next, std::move(dir)).first;
    }
    const FlatEntry& e = it->second.entry;
    if (e.type == NodeType::kSymlink) {
      if (++hops > kMaxSymlinkHops) {
        return InvalidArgument(
            fmt::format("more than {} symlinks in a path at {}", kMaxSymlinkHops, next));
      }
      std::vector<std::string> target = SplitPath(e.link);
      if (e.link.starts_with("/")) {
        stack.clear();
        cur.clear();
      }
      todo.insert(todo.begin(), target.begin(), target.end());
      continue;
    }
    if (e.type != NodeType::kDirectory) {
      if (!create) return std::optional<std::string>();
      return InvalidArgument(fmt::format("{} is not a directory", next));
    }
    stack.push_back(part);
    cur = std::move(next);
  }
  return std::optional<std::string>(cur);
}

void Tree::Erase(const std::string& path, bool keep_self, size_t below) {
  auto it = path.empty() ? nodes_.begin() : nodes_.lower_bound(path);
  while (it != nodes_.end()) {
    const bool self = it->first == path;
    if (!self && !IsBelow(it->first, path)) {
      // Siblings such as "a-b" sort between "a" and "a/..."; skip them.
      if (it->first.starts_with(path) && !path.empty()) {
        ++it;
        continue;
      }
      break;
    }
    if ((self && keep_self) || it->second.layer >= below) {
      ++it;
    } else {
      it = nodes_.erase(it);
    }
  }
}

Status Tree::Whiteout(const std::string& dir, std::string_view base, size_t layer) {
  OCIB_ASSIGN_OR_RETURN(std::optional<std::string> parent,
                        ResolveDir(SplitPath(dir), false, layer));
  if (!parent) return {};  // nothing below to hide
  if (base == kOpaque) {
    Erase(*parent, true, layer);
    return {};
  }
  if (base.starts_with(".wh..wh.")) return {};  // aufs metadata, no effect
  std::string_view hidden = base.substr(kWhiteout.size());
  if (hidden.empty() || hidden == "." || hidden == "..") return {};
  Erase(Join(*parent, hidden), false, layer);
  return {};
}

Result<Node> Tree::MakeNode(struct archive_entry* e, const std::string& name) {
  Node node;
  FlatEntry& f = node.entry;
  f.mode = api_.entry_perm(e) & 07777;
  f.uid = api_.entry_uid(e);
  f.gid = api_.entry_gid(e);
  f.mtime = api_.entry_mtime(e);
  if (f.uid < 0 || f.gid < 0) return InvalidArgument("negative owner");
  if (const char* hard = api_.entry_hardlink(e); hard != nullptr) {
    OCIB_ASSIGN_OR_RETURN(std::string target, CanonicalEntryName(hard));
    std::vector<std::string> parts = SplitPath(target);
    if (parts.empty()) return InvalidArgument("hard link to the root");
    const std::string last = parts.back();
    parts.pop_back();
    OCIB_ASSIGN_OR_RETURN(std::optional<std::string> dir, ResolveDir(parts, false, 0));
    auto it = dir ? nodes_.find(Join(*dir, last)) : nodes_.end();
    if (it == nodes_.end() || (it->second.entry.type != NodeType::kRegular &&
                               it->second.entry.type != NodeType::kHardlink)) {
      return InvalidArgument(
          fmt::format("hard link to {}, which is not a regular file here", hard));
    }
    f.type = NodeType::kHardlink;
    f.link = it->second.entry.type == NodeType::kHardlink ? it->second.entry.link : it->first;
    return node;
  }
  switch (api_.entry_filetype(e)) {
    case AE_IFREG:
      f.type = NodeType::kRegular;
      f.size = api_.entry_size(e);
      if (f.size < 0) return InvalidArgument("negative size");
      break;
    case AE_IFDIR:
      f.type = NodeType::kDirectory;
      break;
    case AE_IFLNK: {
      const char* target = api_.entry_symlink(e);
      if (target == nullptr || *target == '\0') return InvalidArgument("symlink without a target");
      f.type = NodeType::kSymlink;
      f.link = target;
      if (f.link.size() > kMaxPath) return InvalidArgument("symlink target too long");
      break;
    }
    case AE_IFCHR:
    case AE_IFBLK:
      f.type = api_.entry_filetype(e) == AE_IFCHR ? NodeType::kCharDevice : NodeType::kBlockDevice;
      f.dev_major = static_cast<uint32_t>(api_.entry_rdevmajor(e));
      f.dev_minor = static_cast<uint32_t>(api_.entry_rdevminor(e));
      break;
    case AE_IFIFO:
      f.type = NodeType::kFifo;
      break;
    default:
      return InvalidArgument(fmt::format("{}: unsupported entry type", name));
  }
  return node;
}

Status Tree::Add(const std::string& path, Node node) {
  auto it = nodes_.find(path);
  if (it != nodes_.end() && it->second.entry.type == NodeType::kDirectory &&
      node.entry.type == NodeType::kDirectory) {
    it->second = std::move(node);  // a directory over a directory keeps its children
    return {};
  }
  if (it != nodes_.end()) Erase(path, false, static_cast<size_t>(-1));
  if (nodes_.size() >= kMaxNodes) {
    return InvalidArgument(fmt::format("more than {} entries", kMaxNodes));
  }
  nodes_.emplace(path, std::move(node));
  return {};
}

Status Tree::ApplyEntry(struct archive_entry* e, size_t layer, size_t seq, std::string& placed) {
  const char* raw = api_.entry_pathname(e);
  if (raw == nullptr) return InvalidArgument("an entry without a name");
  OCIB_ASSIGN_OR_RETURN(std::string name, CanonicalEntryName(raw));
  if (name.empty()) return {};  // the root itself
  std::vector<std::string> parts = SplitPath(name);
  const std::string base = parts.back();
  parts.pop_back();
  if (base.starts_with(kWhiteout)) {
    return Whiteout(fmt::format("{}", fmt::join(parts, "/")), base, layer);
  }
  OCIB_ASSIGN_OR_RETURN(Node node, MakeNode(e, name));
  auto dir = ResolveDir(parts, true, layer);
  if (!dir) return std::move(dir).error().With(fmt::format("the parent of {}", name));
  placed = Join(**dir, base);
  node.entry.path = placed;
  node.layer = layer;
  node.seq = seq;
  return Add(placed, std::move(node));
}

Status Tree::Apply(LayerReader& layer, size_t index, std::vector<std::string>& placed) {
  OCIB_RETURN_IF_ERROR(layer.Open());
  for (size_t seq = 0;; ++seq) {
    OCIB_ASSIGN_OR_RETURN(struct archive_entry * e, layer.Next());
    if (e == nullptr) break;
    placed.emplace_back();
    Status s = ApplyEntry(e, index, seq, placed.back());
    if (!s) {
      const char* raw = api_.entry_pathname(e);
      return std::move(s).error().With(
          fmt::format("layer {}, entry \"{}\"", layer.name(), raw != nullptr ? raw : ""));
    }
  }
  return layer.Drain();
}

// Pass two: hands the entries of layer `index` that survived to `sink`.
Result<int64_t> Emit(const Tree& tree, LayerReader& layer, size_t index,
                     const std::vector<std::string>& placed, FlatSink& sink) {
  OCIB_RETURN_IF_ERROR(layer.Open());
  int64_t count = 0;
  for (size_t seq = 0;; ++seq) {
    OCIB_ASSIGN_OR_RETURN(struct archive_entry * e, layer.Next());
    if (e == nullptr) break;
    if (seq >= placed.size()) return DataLoss(fmt::format("layer {} changed", layer.name()));
    if (placed[seq].empty()) continue;
    auto it = tree.nodes().find(placed[seq]);
    if (it == tree.nodes().end() || it->second.layer != index || it->second.seq != seq) continue;
    const FlatEntry& entry = it->second.entry;
    if (entry.type == NodeType::kHardlink) {
      auto target = tree.nodes().find(entry.link);
      const Node* t = target == tree.nodes().end() ? nullptr : &target->second;
      if (t == nullptr || t->layer > index || (t->layer == index && t->seq > seq)) {
        return InvalidArgument(
            fmt::format("layer {}: hard link {} to {}, which a later layer replaces or removes",
                        layer.name(), entry.path, entry.link));
      }
    }
    EntryDataReader data(layer);
    Status s = sink.Add(entry, entry.type == NodeType::kRegular ? &data : nullptr);
    if (!s) return std::move(s).error().With(fmt::format("layer {}", layer.name()));
    ++count;
  }
  OCIB_RETURN_IF_ERROR(layer.Drain());
  return count;
}

}  // namespace

NamedLayer VerifiedLayer(const Digest& digest, int64_t size,
                         std::function<Result<std::unique_ptr<Reader>>(int64_t, int64_t)> range) {
  io::RangeOpener verified = io::VerifyingOpener(std::move(range), digest, size);
  return {digest.ToString(), [verified, size]() { return verified(0, size); }};
}

Result<std::string> CanonicalEntryName(std::string_view name) {
  if (name.size() > kMaxPath) return InvalidArgument("entry name longer than 4096 bytes");
  if (name.starts_with("/")) {
    return InvalidArgument(fmt::format("entry name \"{}\" is absolute", name));
  }
  std::string out;
  for (const std::string& part : SplitPath(name)) {
    if (part == ".") continue;
    if (part == "..") {
      return InvalidArgument(fmt::format(R"(entry name "{}" has a ".." component)", name));
    }
    if (!out.empty()) out += '/';
    out += part;
  }
  return out;
}

Result<int64_t> Flatten(const std::vector<NamedLayer>& layers, FlatSink& sink) {
  OCIB_ASSIGN_OR_RETURN(const LibarchiveApi* api, LoadLibarchive());
  Tree tree(*api);
  std::vector<std::vector<std::string>> placed(layers.size());
  for (size_t i = 0; i < layers.size(); ++i) {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, layers[i].open());
    LayerReader layer(*api, layers[i].name, std::move(r));
    OCIB_RETURN_IF_ERROR(tree.Apply(layer, i, placed[i]));
  }
  int64_t count = 0;
  for (size_t i = 0; i < layers.size(); ++i) {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, layers[i].open());
    LayerReader layer(*api, layers[i].name, std::move(r));
    OCIB_ASSIGN_OR_RETURN(int64_t n, Emit(tree, layer, i, placed[i], sink));
    count += n;
  }
  // Implicit parents that no entry named: the directory sink creates them
  // as it goes; a tar does not need them.
  OCIB_RETURN_IF_ERROR(sink.Finish());
  return count;
}

}  // namespace ocib::archive
