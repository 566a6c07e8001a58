// LayerBatch and BuildLayers (ocib/layer_batch.h): the cache lookups of
// several trees in parallel, then the misses compressed.
#include "ocib/layer_batch.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <string>
#include <thread>
#include <utility>

#include <fmt/format.h>

#include "lib/core/parallel.h"

namespace ocib {

struct LayerBatch::State {
  std::vector<LayerInput> inputs;
  LayerBatchOptions options;
  int jobs = 1;
  // inputs[k]'s cache key (when there is a cache and it could be computed),
  // its entry as peeked (unchecked), and its layer once the cache gave it
  // intact.
  std::vector<std::optional<std::string>> keys;
  std::vector<std::optional<Layer>> peeked;
  std::vector<std::optional<Layer>> found;
  // Trees made by LayerInput::load, for the misses that needed them.
  std::vector<std::optional<FileTree>> loaded;
  // The lookups: the next index to take, whether they were started before
  // the store (Check) or run against it (Find), and their threads (last:
  // joined before the state they use is destroyed).
  std::atomic<size_t> next_lookup{0};
  bool checking = false;
  BlobStore* store = nullptr;
  std::vector<std::jthread> lookers;

  const FileTree& Tree(size_t k) const { return loaded[k] ? *loaded[k] : *inputs[k].tree; }
  std::string Name(size_t k) const {
    return inputs[k].name.empty() ? fmt::format("layer {}", k) : inputs[k].name;
  }
  void LookUp();
  void JoinLookers() { lookers.clear(); }
  Result<BuiltLayer> Make(size_t k);
};

// Takes the lookups no other looker took (run by several threads at once):
// the last trees first (in a build the per-platform layers, the largest).
void LayerBatch::State::LookUp() {
  for (size_t i = next_lookup.fetch_add(1); i < inputs.size(); i = next_lookup.fetch_add(1)) {
    const size_t k = inputs.size() - 1 - i;
    if (!keys[k]) continue;
    found[k] = checking ? options.cache->Check(*keys[k], options.layer)
                        : options.cache->Find(*keys[k], *store, options.layer);
  }
}

// Layer k: the cached one, or compressed into the store (and recorded).
Result<BuiltLayer> LayerBatch::State::Make(size_t k) {
  const auto start = std::chrono::steady_clock::now();
  BuiltLayer out;
  out.reused = found[k].has_value();
  if (out.reused) {
    out.layer = *found[k];
  } else {
    LayerOptions mine = options.layer;
    mine.on_bytes = nullptr;
    if (options.events.on_bytes) {
      const int index = static_cast<int>(k);
      const int64_t total = Tree(k).ContentBytes();
      mine.on_bytes = [this, index, total](int64_t done) {
        options.events.on_bytes(index, done, total);
      };
    }
    Result<Layer> built = options.cache && keys[k]
                              ? options.cache->Build(*keys[k], Tree(k), *store, mine)
                              : BuildLayer(Tree(k), *store, mine);
    if (!built) return std::move(built).error().With(fmt::format("building {}", Name(k)));
    out.layer = *built;
  }
  if (options.events.on_layer) {
    LayerEvent e;
    e.index = static_cast<int>(k);
    e.digest = out.layer.descriptor.digest;
    e.size = out.layer.descriptor.size;
    e.uncompressed_size = out.layer.uncompressed_size;
    e.action = out.reused ? BlobAction::kCached : BlobAction::kBuilt;
    e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    options.events.on_layer(e);
  }
  return out;
}

LayerBatch::LayerBatch(std::vector<LayerInput> inputs, LayerBatchOptions options)
    : state_(std::make_unique<State>()) {
  State& s = *state_;
  s.inputs = std::move(inputs);
  s.options = std::move(options);
  s.jobs = s.options.jobs > 0 ? s.options.jobs : core::CpuJobs();
  const size_t n = s.inputs.size();
  s.keys.resize(n);
  s.peeked.resize(n);
  s.found.resize(n);
  s.loaded.resize(n);
  if (s.options.cache == nullptr) return;
  // Each key is computed once, for the peek and the lookup.
  for (size_t k = 0; k < n; ++k) {
    if (auto key = s.options.cache->Key(*s.inputs[k].tree, s.options.layer); key) {
      s.keys[k] = std::move(*key);
      s.peeked[k] = s.options.cache->Peek(*s.keys[k], s.options.layer);
    }
  }
}

LayerBatch::~LayerBatch() = default;

size_t LayerBatch::size() const { return state_->inputs.size(); }

std::optional<std::vector<Layer>> LayerBatch::Peeked() const {
  std::vector<Layer> out;
  for (const auto& p : state_->peeked) {
    if (!p) return std::nullopt;
    out.push_back(*p);
  }
  return out;
}

void LayerBatch::StartChecks() {
  State& s = *state_;
  if (s.options.cache == nullptr || s.checking) return;
  s.checking = true;
  const size_t threads = std::min(static_cast<size_t>(s.jobs), s.inputs.size());
  for (size_t t = 0; t < threads; ++t) s.lookers.emplace_back([&s] { s.LookUp(); });
}

Result<std::vector<BuiltLayer>> LayerBatch::Build(BlobStore& store) {
  State& s = *state_;
  s.store = &store;
  const size_t n = s.inputs.size();
  if (s.options.cache != nullptr) {
    if (s.checking) {
      s.JoinLookers();
      // Checked while the store was made; now placed into it.
      for (auto& layer : s.found) {
        if (layer && !s.options.cache->Place(*layer, store)) layer.reset();
      }
    } else {
      const size_t threads = std::min(static_cast<size_t>(s.jobs), n);
      for (size_t t = 1; t < threads; ++t) s.lookers.emplace_back([&s] { s.LookUp(); });
      s.LookUp();
      s.JoinLookers();
    }
  }
  // The misses that hold only a content id get their entries now.
  for (size_t k = 0; k < n; ++k) {
    if (s.found[k] || !s.inputs[k].load) continue;
    auto tree = s.inputs[k].load();
    if (!tree) return std::move(tree).error().With(fmt::format("building {}", s.Name(k)));
    s.loaded[k] = std::move(*tree);
  }
  if (s.options.events.on_plan) {
    TransferPlan plan;
    plan.blobs = static_cast<int>(n);
    for (size_t k = 0; k < n; ++k) {
      plan.bytes += s.found[k] ? s.found[k]->uncompressed_size : s.Tree(k).ContentBytes();
    }
    s.options.events.on_plan(plan);
  }
  // zstd compresses with its own worker threads, so one layer at a time
  // keeps every core busy with less memory; gzip and none are
  // single-threaded, so layers are compressed side by side.
  const int workers = s.options.layer.compression == Compression::kZstd ? 1 : s.jobs;
  std::vector<BuiltLayer> out(n);
  Status st = core::ParallelFor(n, workers, [&](size_t k) -> Status {
    OCIB_ASSIGN_OR_RETURN(out[k], s.Make(k));
    return OkStatus();
  });
  if (!st) return std::move(st).error();
  return out;
}

Result<std::vector<BuiltLayer>> BuildLayers(const std::vector<const FileTree*>& trees,
                                            BlobStore& store, const LayerBatchOptions& options) {
  std::vector<LayerInput> inputs;
  inputs.reserve(trees.size());
  for (const FileTree* t : trees) inputs.push_back({t, nullptr, ""});
  LayerBatch batch(std::move(inputs), options);
  return batch.Build(store);
}

}  // namespace ocib
