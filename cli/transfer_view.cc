// The progress bar and --json report of transfers (cli/transfer_view.h).
#include "cli/transfer_view.h"

#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace ocib::cli {

using Clock = std::chrono::steady_clock;

struct TransferView::State {
  bool bar = false;
  bool json = false;
  std::mutex mu;
  Clock::time_point start = Clock::now();
  Clock::time_point drawn{};
  bool visible = false;
  int planned_blobs = 0;
  int64_t planned_bytes = 0;
  int done_blobs = 0;
  int64_t done_bytes = 0;                   // of finished blobs, whatever their action
  int64_t moved_bytes = 0;                  // uploaded or downloaded, finished blobs
  int64_t built_bytes = 0;                  // uncompressed bytes of layers built
  int builds = 0;                           // builds attached (keys their layers apart)
  std::map<std::string, int64_t> inflight;  // digest -> bytes so far
  std::vector<BlobEvent> events;

  // Writes everything at once: a line never mixes with another.
  static void Write(const std::string& text) {
    std::fwrite(text.data(), 1, text.size(), stderr);
    std::fflush(stderr);
  }

  static std::string Size(int64_t bytes) {
    const char* units[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    auto v = static_cast<double>(bytes);
    size_t u = 0;
    while (v >= 1024 && u + 1 < std::size(units)) {
      v /= 1024;
      ++u;
    }
    return u == 0 ? fmt::format("{} B", bytes) : fmt::format("{:.1f} {}", v, units[u]);
  }

  // The bar's text: "ocib: [####------] 3/8 blobs, 12.3 MiB of 45.6 MiB,
  // 8.1 MiB/s, 4 s left".
  std::string Line() const {
    int64_t inflight_bytes = 0;
    for (const auto& [d, n] : inflight) inflight_bytes += n;
    const int64_t done = done_bytes + inflight_bytes;
    const int64_t total = std::max(planned_bytes, done);
    constexpr int kWidth = 24;
    const int filled =
        total > 0
            ? static_cast<int>(static_cast<double>(done) / static_cast<double>(total) * kWidth)
            : kWidth;
    const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
    const double rate =
        elapsed > 0 ? static_cast<double>(moved_bytes + built_bytes + inflight_bytes) / elapsed : 0;
    std::string left = "--";
    if (rate > 0) {
      left = fmt::format("{:.0f} s", static_cast<double>(total - done) / rate);
    }
    return fmt::format("ocib: [{}{}] {}/{} blobs, {} of {}, {}/s, {} left",
                       std::string(static_cast<size_t>(filled), '#'),
                       std::string(static_cast<size_t>(kWidth - filled), '-'), done_blobs,
                       std::max(planned_blobs, done_blobs), Size(done), Size(total),
                       Size(static_cast<int64_t>(rate)), left);
  }

  // Redraws the bar (under mu); `force` ignores the 100 ms throttle.
  void Draw(bool force) {
    if (!bar) return;
    const auto now = Clock::now();
    if (!force && visible && now - drawn < std::chrono::milliseconds(100)) return;
    drawn = now;
    visible = true;
    Write("\r\033[K" + Line());
  }

  // Under mu: a plan, the bytes of `key` so far, and a blob or layer done
  // (`counted`: what it adds to the bar's bytes; `e`: its --json entry).
  void AddPlan(const TransferPlan& plan) {
    planned_blobs += plan.blobs;
    planned_bytes += plan.bytes;
    Draw(true);
  }
  void Progress(const std::string& key, int64_t done) {
    inflight[key] = done;
    Draw(false);
  }
  void Done(const std::string& key, int64_t counted, const BlobEvent& e) {
    inflight.erase(key);
    ++done_blobs;
    done_bytes += counted;
    if (json) events.push_back(e);
    Draw(true);
  }

  // A whole line (with its own "ocib: ") above the bar.
  void Print(std::string_view line) const {
    if (bar && visible) {
      Write(fmt::format("\r\033[K{}\n{}", line, Line()));
    } else {
      Write(fmt::format("{}\n", line));
    }
  }
};

TransferView::TransferView(bool bar, bool json) : state_(std::make_shared<State>()) {
  state_->bar = bar;
  state_->json = json;
}

TransferView::~TransferView() { Finish(); }

void TransferView::Attach(RegistryOptions& o) const {
  std::shared_ptr<State> s = state_;
  if (o.progress) {
    o.progress = [s](std::string_view line) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->Print(fmt::format("ocib: {}", line));
    };
  }
  if (!s->bar && !s->json) return;
  o.events.on_plan = [s](const TransferPlan& plan) {
    std::lock_guard<std::mutex> lock(s->mu);
    s->AddPlan(plan);
  };
  if (s->bar) {
    o.events.on_bytes = [s](const Digest& digest, int64_t done, int64_t /*total*/) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->Progress(digest.ToString(), done);
    };
  }
  o.events.on_blob = [s](const BlobEvent& e) {
    std::lock_guard<std::mutex> lock(s->mu);
    if (e.action == BlobAction::kUploaded || e.action == BlobAction::kDownloaded) {
      s->moved_bytes += e.size;
    }
    s->Done(e.digest.ToString(), e.size, e);
  };
}

void TransferView::Attach(BuildSpec& o) const {
  Attach(o.registry);
  std::shared_ptr<State> s = state_;
  if (!s->bar && !s->json) return;
  std::string prefix;
  {
    std::lock_guard<std::mutex> lock(s->mu);
    prefix = fmt::format("build {} layer ", s->builds++);
  }
  o.events.on_plan = o.registry.events.on_plan;  // one plan count for layers and blobs
  if (s->bar) {
    o.events.on_bytes = [s, prefix](int index, int64_t done, int64_t /*total*/) {
      std::lock_guard<std::mutex> lock(s->mu);
      s->Progress(fmt::format("{}{}", prefix, index), done);
    };
  }
  o.events.on_layer = [s, prefix](const LayerEvent& e) {
    std::lock_guard<std::mutex> lock(s->mu);
    if (e.action == BlobAction::kBuilt) s->built_bytes += e.uncompressed_size;
    s->Done(fmt::format("{}{}", prefix, e.index), e.uncompressed_size,
            {e.digest, e.size, e.action, e.seconds, ""});
  };
}

void TransferView::PrintLine(std::string_view line) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  state_->Print(line);
}

void TransferView::Finish() const {
  std::lock_guard<std::mutex> lock(state_->mu);
  if (state_->visible) State::Write("\r\033[K");
  state_->visible = false;
}

std::string TransferView::JsonReport(const std::string& digest,
                                     const std::vector<std::string>& references) const {
  std::lock_guard<std::mutex> lock(state_->mu);
  nlohmann::ordered_json out;
  out["digest"] = digest;
  out["references"] = references;
  nlohmann::ordered_json blobs = nlohmann::ordered_json::array();
  std::map<std::string, int> counts;
  for (BlobAction a :
       {BlobAction::kUploaded, BlobAction::kMounted, BlobAction::kExisted, BlobAction::kSkipped,
        BlobAction::kDownloaded, BlobAction::kBuilt, BlobAction::kCached}) {
    counts[std::string(BlobActionName(a))] = 0;
  }
  for (const BlobEvent& e : state_->events) {
    nlohmann::ordered_json b;
    b["digest"] = e.digest.ToString();
    b["size"] = e.size;
    b["action"] = std::string(BlobActionName(e.action));
    b["seconds"] = static_cast<double>(static_cast<int64_t>(e.seconds * 1000)) / 1000;
    b["repository"] = e.repository;
    blobs.push_back(std::move(b));
    ++counts[std::string(BlobActionName(e.action))];
  }
  out["blobs"] = std::move(blobs);
  out["counts"] = counts;
  out["bytes"] = state_->moved_bytes;
  const double elapsed = std::chrono::duration<double>(Clock::now() - state_->start).count();
  out["seconds"] = static_cast<double>(static_cast<int64_t>(elapsed * 1000)) / 1000;
  return out.dump();
}

std::unique_ptr<TransferView> MakeTransferView(bool verbose, bool quiet, bool json) {
  const bool bar = !verbose && !quiet && ::isatty(2) != 0;
  return std::make_unique<TransferView>(bar, json);
}

}  // namespace ocib::cli
