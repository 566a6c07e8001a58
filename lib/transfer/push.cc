// Push: OCI layout -> registry, children before parents, tags last.
#include "ocib/push.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <future>
#include <mutex>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "ocib/oci_layout.h"
#include "ocib/registry_referrers.h"

#include "lib/core/parallel.h"
#include "lib/http/curl_api.h"
#include "lib/io/file.h"
#include "lib/io/streams.h"
#include "lib/io/verify.h"
#include "lib/registry/push_record.h"
#include "lib/registry/remote_blob.h"
#include "lib/transfer/image_walk.h"

namespace ocib {
namespace {

std::string HumanSize(int64_t n) {
  char buf[32];
  if (n >= (int64_t{1} << 20)) {
    std::snprintf(buf, sizeof buf, "%.1f MiB", static_cast<double>(n) / (1 << 20));
  } else if (n >= 1024) {
    std::snprintf(buf, sizeof buf, "%.1f KiB", static_cast<double>(n) / 1024);
  } else {
    std::snprintf(buf, sizeof buf, "%lld B", static_cast<long long>(n));
  }
  return buf;
}

}  // namespace

Result<PushResult> Push(const std::string& layout_dir, const std::string& layout_tag,
                        const std::vector<Reference>& destinations, const RegistryOptions& options,
                        const std::map<Digest, std::string>& mount_sources,
                        const std::optional<Reference>& blob_source, const CopyOptions& copy) {
  return registry::PushLayout(layout_dir, layout_tag, destinations, options, mount_sources,
                              blob_source, copy.referrers);
}

namespace registry {

Result<PushResult> PushLayout(const std::string& layout_dir, const std::string& layout_tag,
                              const std::vector<Reference>& destinations,
                              const RegistryOptions& options,
                              const std::map<Digest, std::string>& mount_sources,
                              const std::optional<Reference>& blob_source, bool with_referrers) {
  if (destinations.empty()) return InvalidArgument("push: no destination");
  // Loading libcurl (and its ~30 libraries) takes as long as reading and
  // checking a small layout: do both at once (unless an earlier push did).
  // Joined when the push returns.
  std::future<void> curl_loaded;
  if (options.transport == nullptr && !http::CurlLoadDone()) {
    curl_loaded = std::async(std::launch::async, [] { (void)http::LoadCurl(); });
  }
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<OciLayout> layout, OciLayout::Open(layout_dir));
  std::unique_ptr<ImageSource> source = LayoutImageSource(*layout);
  auto root = registry::ResolveLayoutRoot(*source, layout_tag);
  if (!root)
    return std::move(root).error().With(fmt::format("push {}", destinations.front().String()));
  return PushSource(*source, *root, destinations, options, mount_sources, blob_source,
                    with_referrers);
}

namespace {

// Reports the bytes read from `in` (which starts at `offset` of the blob)
// to RegistryOptions::events.on_bytes, at most every 256 KiB and at the end.
class CountingReader : public Reader {
 public:
  CountingReader(std::unique_ptr<Reader> in, int64_t offset, const Descriptor& blob,
                 const TransferEvents& events)
      : in_(std::move(in)), done_(offset), blob_(blob), events_(events) {}
  Result<size_t> Read(void* data, size_t size) override {
    OCIB_ASSIGN_OR_RETURN(size_t n, in_->Read(data, size));
    done_ += static_cast<int64_t>(n);
    if (n == 0 || done_ - reported_ >= kStep || done_ == blob_.size) {
      reported_ = done_;
      events_.on_bytes(blob_.digest, done_, blob_.size);
    }
    return n;
  }

 private:
  static constexpr int64_t kStep = int64_t{256} << 10;
  std::unique_ptr<Reader> in_;
  int64_t done_;
  int64_t reported_ = -1;
  const Descriptor& blob_;
  const TransferEvents& events_;
};

BlobOpener CountingOpener(BlobOpener open, const Descriptor& blob, const TransferEvents& events) {
  if (!events.on_bytes) return open;
  return [open = std::move(open), &blob, &events](
             int64_t offset, int64_t length) -> Result<std::unique_ptr<Reader>> {
    OCIB_ASSIGN_OR_RETURN(std::unique_ptr<Reader> r, open(offset, length));
    return std::unique_ptr<Reader>(
        std::make_unique<CountingReader>(std::move(r), offset, blob, events));
  };
}

// The first of RegistryOptions::mount_from that is not `repo` ("" if none).
std::string NamedMountSource(const RegistryOptions& options, const std::string& repo) {
  for (const std::string& m : options.mount_from) {
    if (m != repo) return m;
  }
  return {};
}

TransferPlan PlanOf(const std::vector<Descriptor>& blobs) {
  TransferPlan plan;
  plan.blobs = static_cast<int>(blobs.size());
  for (const Descriptor& b : blobs) plan.bytes += b.size;
  return plan;
}

double SecondsSince(std::chrono::steady_clock::time_point start) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
}

// Opens the blobs of a push: from `source`, or streamed from `from` (the
// blob source registry) when `source` lacks them.
BlobOpener SourceOpener(ImageSource& source, RegistryClient* from, const std::string& from_repo,
                        const std::string& from_name, const Descriptor& blob) {
  ImageSource* l = &source;
  Digest digest = blob.digest;
  auto have = l->Has(digest);
  if (have && !*have) {
    if (from != nullptr) {
      BlobOpener remote = registry::RemoteBlobOpener(*from, from_repo, digest);
      return [remote, digest, from_name](int64_t offset,
                                         int64_t length) -> Result<std::unique_ptr<Reader>> {
        auto r = remote(offset, length);
        if (!r) {
          return std::move(r).error().With(
              fmt::format("streaming {} from {}", digest.ToString(), from_name));
        }
        return r;
      };
    }
    const std::string& name = l->name();
    return [digest, name](int64_t, int64_t) -> Result<std::unique_ptr<Reader>> {
      return NotFound(
          fmt::format("blob {} is not in {} and could not be mounted, "
                      "and no registry was given to stream it from",
                      digest.ToString(), name));
    };
  }
  return
      [l, digest](int64_t offset, int64_t length) { return l->OpenRange(digest, offset, length); };
}

}  // namespace

Result<PushResult> PushSource(ImageSource& source, const Descriptor& root,
                              const std::vector<Reference>& destinations,
                              const RegistryOptions& options,
                              const std::map<Digest, std::string>& mount_sources,
                              const std::optional<Reference>& blob_source, bool with_referrers) {
  if (destinations.empty()) return InvalidArgument("push: no destination");
  std::string what = "push " + destinations.front().String();
  auto image = registry::WalkLayout(source, root);
  if (!image) return std::move(image).error().With(what);
  if (with_referrers) {
    Status referrers = registry::WalkLayoutReferrers(source, root, *image);
    if (!referrers) return std::move(referrers).error().With(what);
  }
  // Blobs the source lacks stream from `blob_source`.
  std::unique_ptr<RegistryClient> from;
  if (blob_source) {
    auto client = RegistryClient::Create(blob_source->domain(), options);
    if (!client) {
      return std::move(client).error().With(
          fmt::format("{}: blob source {}", what, blob_source->String()));
    }
    from = std::move(*client);
    from->SetScopes({}, {blob_source->path()});
  }
  RegistryClient* f = from.get();
  std::string from_repo = blob_source ? blob_source->path() : "";
  std::string from_name = blob_source ? blob_source->String() : "";
  ImageSource* s = &source;
  return registry::PushImage(destinations, options, mount_sources, root, *image,
                             [s, f, from_repo, from_name](const Descriptor& blob) {
                               return SourceOpener(*s, f, from_repo, from_name, blob);
                             });
}

namespace {

// Whether every target of `repo` already names `root` and its referrers
// are there, as options.check_referrers says (the targets that name it go
// into *in_place). A registry stores a manifest only once everything it
// references exists (distribution: MANIFEST_BLOB_UNKNOWN otherwise), so a
// tag naming the root means its blobs and children are there (as ggcr's
// WriteIndex assumes). Referrers are pushed one after another before the
// tags move (step 3), so with kLast the last one stands for all; it needs
// no request when this machine's push record lists it for the root.
Result<bool> AlreadyPushed(RegistryClient& client, const std::string& repo,
                           const std::vector<std::string>& targets, const Descriptor& root,
                           const WalkedImage& image, const RegistryOptions& options,
                           PushRecord* record, std::set<std::string>* in_place) {
  for (const std::string& target : targets) {
    OCIB_ASSIGN_OR_RETURN(std::optional<Descriptor> have, client.StatManifest(repo, target));
    if (!have || have->digest != root.digest) return false;
    in_place->insert(target);
  }
  using Check = RegistryOptions::ReferrerCheck;
  const size_t n = image.referrers.size();
  size_t from = options.check_referrers == Check::kEach   ? 0
                : options.check_referrers == Check::kLast ? (n == 0 ? 0 : n - 1)
                                                          : n;
  if (options.check_referrers == Check::kLast && n > 0 && record != nullptr &&
      record->Has(root.digest, image.referrers[n - 1].descriptor.digest)) {
    from = n;
  }
  for (size_t i = from; i < n; ++i) {
    OCIB_ASSIGN_OR_RETURN(
        std::optional<Descriptor> have,
        client.StatManifest(repo, image.referrers[i].descriptor.digest.ToString()));
    if (!have) return false;
  }
  return true;
}

// Adds a completed push to `record` (when there is one). A record that
// cannot be written only costs the next run a request: reported, not failed.
void Remember(PushRecord* record, const Descriptor& root, const WalkedImage& image,
              const std::function<void(const std::string&)>& progress) {
  if (record == nullptr) return;
  std::vector<Digest> referrers;
  for (const WalkedDocument& doc : image.referrers) referrers.push_back(doc.descriptor.digest);
  if (!referrers.empty() && record->Has(root.digest, referrers.back())) return;
  if (Status st = record->Add(root.digest, referrers); !st) {
    progress(
        fmt::format("could not record the push in {}: {}", record->path(), st.error().ToString()));
  }
}

// The shared state of one PushImage: where it goes, what it sends, what it
// found there and what it reports.
struct PushState {
  PushState(const std::vector<Reference>& dests, const RegistryOptions& opts,
            const Descriptor& root_desc, const WalkedImage& walked, RegistryClient& c)
      : destinations(dests),
        options(opts),
        root(root_desc),
        image(walked),
        client(c),
        repo(dests.front().path()) {}

  // Passes a line to RegistryOptions::progress, when there is one.
  void Progress(const std::string& line) const {
    if (options.progress) options.progress(line);
  }
  // The tag (or digest) destination `d` puts the root under.
  std::string TargetOf(const Reference& d) const {
    if (!d.tag().empty()) return d.tag();
    if (!d.digest().empty()) return root.digest.ToString();
    return "latest";
  }
  // The line of PushResult::pushed for destination `d`.
  std::string LineOf(const Reference& d) const {
    Reference out = d.tag().empty() && d.digest().empty() ? d.WithTag("latest") : d;
    return out.WithDigest("").String() + "@" + root.digest.ToString();
  }
  // Adds the completed push to the push record (see Remember).
  void RememberPush() {
    Remember(record ? &*record : nullptr, root, image,
             [this](const std::string& line) { Progress(line); });
  }

  const std::vector<Reference>& destinations;
  const RegistryOptions& options;
  const Descriptor& root;
  const WalkedImage& image;
  RegistryClient& client;
  const std::string& repo;
  std::optional<PushRecord> record;
  std::set<std::string> in_place;  // targets known to name the root already
  PushResult result;
};

// Checks that all of `destinations` name the repository of the first.
Status CheckOneRepository(const std::vector<Reference>& destinations) {
  const Reference& first = destinations.front();
  for (const Reference& d : destinations) {
    if (d.domain() != first.domain() || d.path() != first.path()) {
      return InvalidArgument(fmt::format("push: destinations {} and {} name different repositories",
                                         first.String(), d.String()));
    }
  }
  return OkStatus();
}

// Checks that the destinations given by digest name `root`.
Status CheckDestinationDigests(const std::vector<Reference>& destinations, const Descriptor& root) {
  for (const Reference& d : destinations) {
    if (!d.digest().empty() && d.digest() != root.digest.ToString()) {
      return InvalidArgument(fmt::format("destination {} names digest {} but the image is {}",
                                         d.String(), d.digest(), root.digest.ToString()));
    }
  }
  return OkStatus();
}

// The repositories blobs are mounted from: those of `mount_sources`, then
// `named_source`, each once and none of them `repo`.
std::vector<std::string> PullScopes(const std::map<Digest, std::string>& mount_sources,
                                    const std::string& repo, const std::string& named_source) {
  std::vector<std::string> pull_from;
  for (const auto& [digest, source] : mount_sources) {
    if (source != repo &&
        std::find(pull_from.begin(), pull_from.end(), source) == pull_from.end()) {
      pull_from.push_back(source);
    }
  }
  if (!named_source.empty() &&
      std::find(pull_from.begin(), pull_from.end(), named_source) == pull_from.end()) {
    pull_from.push_back(named_source);
  }
  return pull_from;
}

// Step 0: whether the image is all there already (see AlreadyPushed); then
// reports the plan.
Result<bool> FindPresent(PushState& s) {
  std::vector<std::string> targets;
  targets.reserve(s.destinations.size());
  for (const Reference& d : s.destinations) targets.push_back(s.TargetOf(d));
  if (!s.options.push_record_dir.empty()) {
    s.record.emplace(s.options.push_record_dir, s.destinations.front().domain() + "/" + s.repo);
  }
  OCIB_ASSIGN_OR_RETURN(bool present,
                        AlreadyPushed(s.client, s.repo, targets, s.root, s.image, s.options,
                                      s.record ? &*s.record : nullptr, &s.in_place));
  const TransferEvents& events = s.options.events;
  if (events.on_plan) events.on_plan(PlanOf(s.image.blobs));
  return present;
}

// The result of a push that found the image all there: every blob skipped.
PushResult UpToDate(PushState& s) {
  const TransferEvents& events = s.options.events;
  for (const Reference& d : s.destinations) s.result.pushed.push_back(s.LineOf(d));
  s.result.root = s.root;
  s.result.up_to_date = true;
  s.result.blobs_skipped = static_cast<int>(s.image.blobs.size());
  for (const Descriptor& b : s.image.blobs) {
    if (events.on_blob) events.on_blob({b.digest, b.size, BlobAction::kSkipped, 0, s.repo});
  }
  s.Progress(fmt::format("up to date: {}@{}", s.destinations.front().WithDigest("").String(),
                         s.root.digest.ToString()));
  s.RememberPush();
  return std::move(s.result);
}

// Step 1: the blobs, in parallel, each mounted from its source in
// `mount_sources` (else `named_source`) when it can be.
Status PushBlobs(PushState& s, const std::map<Digest, std::string>& mount_sources,
                 const std::string& named_source,
                 const std::function<BlobOpener(const Descriptor&)>& opener_for) {
  const TransferEvents& events = s.options.events;
  const std::map<Digest, std::string> referrer_blobs = ReferrerBlobOwners(s.image);
  std::mutex mu;
  const std::vector<Descriptor>& blobs = s.image.blobs;
  return core::ParallelFor(blobs.size(), s.options.jobs, [&](size_t i) -> Status {
    const Descriptor& blob = blobs[i];
    // Every byte pushed is checked against its digest as it streams.
    BlobOpener open =
        CountingOpener(io::VerifyingOpener(opener_for(blob), blob.digest, blob.size), blob, events);
    auto it = mount_sources.find(blob.digest);
    const auto start = std::chrono::steady_clock::now();
    auto pushed = s.client.PushBlobAction(s.repo, blob, open,
                                          it == mount_sources.end() ? named_source : it->second);
    if (!pushed) {
      auto owner = referrer_blobs.find(blob.digest);
      return std::move(pushed).error().With(
          fmt::format("upload blob {}{}", blob.digest.ToString(),
                      owner == referrer_blobs.end() ? "" : " of " + owner->second));
    }
    std::lock_guard<std::mutex> lock(mu);
    const bool moved = *pushed != BlobAction::kExisted;
    ++(moved ? s.result.blobs_uploaded : s.result.blobs_skipped);
    s.Progress(fmt::format("{} {} {}",
                           *pushed == BlobAction::kMounted ? "mounted"
                           : moved                         ? "pushed"
                                                           : "exists",
                           blob.digest.ToString().substr(0, 19), HumanSize(blob.size)));
    if (events.on_blob) {
      events.on_blob({blob.digest, blob.size, *pushed, SecondsSince(start), s.repo});
    }
    return OkStatus();
  });
}

// Step 2: the child manifests (and nested indexes) by digest, children first.
Status PushChildren(PushState& s) {
  for (const registry::WalkedDocument& doc : s.image.children) {
    auto put = s.client.PutManifest(s.repo, doc.descriptor.digest.ToString(),
                                    doc.descriptor.media_type, doc.bytes);
    if (!put) {
      return std::move(put).error().With(
          fmt::format("push manifest {}", doc.descriptor.digest.ToString()));
    }
    s.Progress("pushed manifest " + doc.descriptor.digest.ToString().substr(0, 19));
  }
  return OkStatus();
}

// Step 3: the referrers, each after its subject (the root by digest first
// when it is one), into s.result.referrers.
Status PushReferrers(PushState& s) {
  if (s.image.referrers.empty()) return OkStatus();
  bool root_is_subject = false;
  std::vector<Digest> subjects;
  for (const registry::WalkedDocument& doc : s.image.referrers) {
    auto info = registry::DescribeReferrer(doc.descriptor, doc.bytes);
    if (!info) return std::move(info).error();
    root_is_subject = root_is_subject || info->subject == s.root.digest;
    subjects.push_back(info->subject);
  }
  if (root_is_subject) {
    auto put = s.client.PutManifest(s.repo, s.root.digest.ToString(), s.root.media_type,
                                    s.image.root_bytes);
    if (!put) return std::move(put).error().With(fmt::format("push {}", s.root.digest.ToString()));
  }
  for (size_t i = 0; i < s.image.referrers.size(); ++i) {
    const registry::WalkedDocument& doc = s.image.referrers[i];
    auto pushed = PushReferrer(s.client, s.repo, doc.descriptor.media_type, doc.bytes);
    if (!pushed) {
      // A child of a referrer index has no subject of its own.
      return std::move(pushed).error().With(
          fmt::format("referrer {}{}", doc.descriptor.digest.ToString(),
                      subjects[i].empty() ? "" : " of " + subjects[i].ToString()));
    }
    s.Progress(fmt::format("pushed referrer {}{}", pushed->digest.ToString().substr(0, 19),
                           pushed->artifact_type.empty() ? "" : " " + pushed->artifact_type));
    s.result.referrers.push_back(*pushed);
  }
  return OkStatus();
}

// Step 4: the root under each target that does not name it already.
Status PushTags(PushState& s) {
  for (const Reference& d : s.destinations) {
    std::string target = s.TargetOf(d);
    if (!s.in_place.contains(target)) {
      auto put = s.client.PutManifest(s.repo, target, s.root.media_type, s.image.root_bytes);
      if (!put) return std::move(put).error().With(fmt::format("push {}", target));
    }
    s.result.pushed.push_back(s.LineOf(d));
  }
  return OkStatus();
}

}  // namespace

Result<PushResult> PushImage(const std::vector<Reference>& destinations,
                             const RegistryOptions& options,
                             const std::map<Digest, std::string>& mount_sources,
                             const Descriptor& root_desc, const WalkedImage& walked,
                             const std::function<BlobOpener(const Descriptor&)>& opener_for) {
  if (destinations.empty()) return InvalidArgument("push: no destination");
  if (Status st = CheckOneRepository(destinations); !st) return std::move(st).error();
  const Reference& first = destinations.front();
  std::string what = "push " + first.String();
  auto fail = [&](Error e) { return std::move(e).With(what); };
  if (Status st = CheckDestinationDigests(destinations, root_desc); !st) {
    return fail(std::move(st).error());
  }
  if (Status st = CheckWalkedImage(root_desc, walked, opener_for); !st)
    return fail(std::move(st).error());
  auto client_r = RegistryClient::Create(first.domain(), options);
  if (!client_r) return fail(std::move(client_r).error());
  PushState s(destinations, options, root_desc, walked, **client_r);
  // The repository the user named as a mount source (--mount-from): every
  // blob without a source of its own is mounted from it when it is there.
  const std::string named_source = NamedMountSource(options, s.repo);
  s.client.SetScopes({s.repo}, PullScopes(mount_sources, s.repo, named_source));

  // 0. Already there?
  auto present = FindPresent(s);
  if (!present) return fail(std::move(present).error());
  if (*present) return UpToDate(s);

  // 1. Blobs, in parallel.
  if (Status st = PushBlobs(s, mount_sources, named_source, opener_for); !st) {
    return fail(std::move(st).error());
  }

  // 2. Child manifests (and nested indexes) by digest, children first. A
  // PUT of a manifest the registry has is harmless and costs what a HEAD
  // would.
  if (Status st = PushChildren(s); !st) return fail(std::move(st).error());

  // 3. Referrers (SBOMs, signatures) of the root and its children, each
  // after its subject (the root by digest first when it is one), so that
  // they are listed before the tags move.
  if (Status st = PushReferrers(s); !st) return fail(std::move(st).error());

  // 4. The root under each tag (or by digest), last.
  if (Status st = PushTags(s); !st) return fail(std::move(st).error());
  s.result.root = s.root;
  s.RememberPush();
  return std::move(s.result);
}

}  // namespace registry

Result<std::map<Digest, std::string>> MountSourcesFromLayout(const std::string& layout_dir,
                                                             const std::string& layout_tag,
                                                             const std::string& repository) {
  OCIB_ASSIGN_OR_RETURN(std::unique_ptr<OciLayout> layout, OciLayout::Open(layout_dir));
  std::unique_ptr<ImageSource> source = LayoutImageSource(*layout);
  OCIB_ASSIGN_OR_RETURN(Descriptor root, registry::ResolveLayoutRoot(*source, layout_tag));
  OCIB_ASSIGN_OR_RETURN(registry::WalkedImage image, registry::WalkLayout(*source, root));
  std::map<Digest, std::string> out;
  for (const Descriptor& b : image.blobs) out[b.digest] = repository;
  return out;
}

}  // namespace ocib
