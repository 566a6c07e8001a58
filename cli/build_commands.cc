// ocib build | cache prune | cache verify | validate.

#include <cstdlib>
#include <iostream>
#include <map>
#include <optional>
#include <set>

#include <fmt/format.h>

#include "ocib/build_file.h"
#include "ocib/image_builder.h"
#include "ocib/image_location.h"
#include "ocib/layer_cache.h"
#include "ocib/validate.h"

#include "cli/build_flags.h"
#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/transfer_view.h"

namespace ocib::cli {
namespace {

// Whether `text` names a layout or an archive (else a registry reference,
// or something the remote commands report as malformed).
bool IsLocalLocation(const std::string& text) {
  auto where = ImageLocation::Parse(text);
  return where && where->IsLocal();
}

struct BuildFlags {
  BuildSpec spec;
  BuildTexts texts;
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::string user;
  std::string workdir;
  std::string go_ldflags;
  std::string build_file;
  RegistryFlags registry;
  bool json = false;
  std::vector<std::string> mount_from;
};

// The build file keys of the flags given on the command line: those override the file's fields.
std::set<std::string> GivenBuildFileFields(const CLI::App& sub) {
  // Flag -> build file key.
  static const std::pair<const char*, const char*> kFlagFields[] = {
      {"--base", "base"},
      {"--base-name", "base_name"},
      {"--platform", "platforms"},
      {"--binary", "binaries"},
      {"--go", "go"},
      {"--go-dir", "go_dir"},
      {"--go-flag", "go_flags"},
      {"--go-ldflags", "go_ldflags"},
      {"--binary-path", "binary_path"},
      {"--binary-unchecked", "binary_unchecked"},
      {"--file", "files"},
      {"--entrypoint", "entrypoint"},
      {"--cmd", "cmd"},
      {"--env", "env"},
      {"--label", "labels"},
      {"--annotation", "annotations"},
      {"--expose", "expose"},
      {"--user", "user"},
      {"--workdir", "workdir"},
      {"--compression", "compression"},
      {"--compression-level", "compression_level"},
      {"--output", "output"},
      {"--sbom", "sbom"},
      {"--tag", "tags"},
  };
  std::set<std::string> given;
  for (const auto& [flag, field] : kFlagFields) {
    const CLI::Option* opt = sub.get_option_no_throw(flag);
    if (opt != nullptr && opt->count() > 0) given.insert(field);
  }
  return given;
}

// `build -f FILE`: each image of the file, in order, with the flags given on
// the command line overriding the file's fields (see ocib/build_file.h).
int RunBuildFile(BuildFlags& f, CLI::App& sub) {
  std::set<std::string> given = GivenBuildFileFields(sub);
  // One bar for the whole file on a terminal, log lines above it; with
  // --json one report per image, a JSON line each, in file order.
  auto bar = MakeTransferView(f.registry.verbose, f.registry.quiet, false);
  if (f.spec.log) {
    f.spec.log = [v = bar.get()](std::string_view line) { v->PrintLine(line); };
  }
  auto images = LoadBuildFile(f.build_file);
  if (!images) return ReportError(images.error());
  auto st = ApplyOverrides(*images, f.spec, given);
  if (!st) return ReportError(std::move(st).error().With(f.build_file));
  BuildImagesOptions run;
  run.jobs = f.registry.jobs;
  std::vector<std::unique_ptr<TransferView>> reports(f.json ? images->size() : 0);
  for (auto& r : reports) r = std::make_unique<TransferView>(false, true);
  run.configure = [&](size_t i, BuildSpec& o) {
    if (f.json) {
      reports[i]->Attach(o);
    } else {
      bar->Attach(o);
    }
  };
  run.on_result = [&](size_t i, const BuildResult& r) {
    if (f.json) {
      std::cout << reports[i]->JsonReport(r.descriptor.digest.ToString(), r.pushed) << "\n";
    } else {
      bar->Finish();
      if (r.pushed.empty()) std::cout << r.descriptor.digest.ToString() << "\n";
      for (const std::string& line : r.pushed) std::cout << line << "\n";
    }
    std::cout.flush();
  };
  if (f.spec.log) {
    f.spec.log(fmt::format("building {} image(s) of {}", images->size(), f.build_file));
  }
  Status built = BuildImages(*images, run);
  bar->Finish();
  if (!built) return ReportError(std::move(built).error().With(f.build_file));
  return kExitOk;
}

int RunBuild(BuildFlags& f, CLI::App& sub) {
  BuildSpec& o = f.spec;
  Status parsed = ParseBuildTexts(f.texts, o);
  if (!parsed) return ReportError(parsed.error());
  if (sub.count("--entrypoint") > 0) o.entrypoint = f.entrypoint;
  if (sub.count("--cmd") > 0) o.cmd = f.cmd;
  if (sub.count("--user") > 0) o.user = f.user;
  if (sub.count("--workdir") > 0) o.workdir = f.workdir;
  if (sub.count("--go-ldflags") > 0) o.go_ldflags = f.go_ldflags;
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde != nullptr) {
    auto v = ParseSourceDateEpoch(sde);
    if (!v) return ReportError(v.error());
    o.source_date_epoch = *v;
  }
  if (!f.registry.quiet) o.log = [](std::string_view line) { std::cerr << line << "\n"; };
  // --base REF and --tag: requests logged with -v, each blob reported as
  // `ocib push` does (on a terminal or with -v).
  o.registry = MakeRegistryOptions(f.registry);
  o.registry.mount_from = f.mount_from;
  if (!f.build_file.empty()) return RunBuildFile(f, sub);
  Status checked = CheckBuildFlags(o);
  if (!checked) return ReportError(checked.error());
  // A bar on a terminal (the layers compressed, then the push with --tag)
  // and every layer and pushed blob in the --json report.
  auto view = MakeTransferView(f.registry.verbose, f.registry.quiet, f.json);
  view->Attach(o);
  if (o.log) {
    o.log = [v = view.get()](std::string_view line) { v->PrintLine(line); };
  }
  auto r = BuildImage(o);
  view->Finish();
  if (!r) return ReportError(r.error());
  if (f.json) {
    std::cout << view->JsonReport(r->descriptor.digest.ToString(), r->pushed) << "\n";
    return kExitOk;
  }
  if (r->pushed.empty()) std::cout << r->descriptor.digest.ToString() << "\n";
  for (const std::string& line : r->pushed) std::cout << line << "\n";
  return kExitOk;
}

// build: the inputs (base, platforms, binaries or a Go package, extra files).
void AddBuildInputFlags(CLI::App* build, BuildFlags& flags) {
  BuildSpec& o = flags.spec;
  BuildTexts& t = flags.texts;
  build->add_option("--base", t.base,
                    "static | scratch | oci:DIR[:TAG] | oci-archive:FILE[:TAG] | "
                    "docker-archive:FILE[:REPO:TAG] | a registry reference (default: static)");
  build->add_option("--base-name", o.base_name,
                    "Reference recorded as org.opencontainers.image.base.name (set automatically "
                    "for a registry --base)");
  build->add_option("--platform", t.platforms,
                    "Platforms, e.g. linux/amd64,linux/arm64 (default: those of --binary)");
  build->add_option("--binary", t.binaries,
                    "PLATFORM=PATH: the executable for a platform (repeatable)");
  build->add_option("--go", o.go_package,
                    "Go package to build for each platform (instead of --binary)");
  build->add_option("--go-dir", o.go_dir,
                    "Directory to run go build in (the module root; default .)");
  build->add_option("--go-flag", o.go_flags, "Extra go build argument (repeatable)");
  build->add_option("--go-ldflags", flags.go_ldflags, "go build -ldflags value");
  build->add_option("--binary-path", o.binary_path,
                    "Where the binary lands in the image (default /app)");
  build->add_flag("--binary-unchecked", o.binary_unchecked,
                  "Do not check that each binary is an executable for its platform");
  build->add_option("--file", t.files,
                    "SRC:DEST: files or directories shared by every platform (repeatable)");
}

// build: the image config and annotations (entrypoint, cmd, env, labels, user, workdir).
void AddBuildImageConfigFlags(CLI::App* build, BuildFlags& flags) {
  BuildTexts& t = flags.texts;
  build->add_option("--entrypoint", flags.entrypoint,
                    "Entrypoint argument (repeatable; default: the binary path)");
  build->add_option("--cmd", flags.cmd, "Cmd argument (repeatable)");
  build->add_option("--env", t.env, "K=V (repeatable)");
  build->add_option("--label", t.labels, "K=V config label (repeatable)");
  build->add_option("--annotation", t.annotations, "K=V manifest annotation (repeatable)");
  build->add_option("--expose", t.expose, "PORT[/tcp|/udp] (repeatable)");
  build->add_option("--user", flags.user,
                    "USER[:GROUP] (default 65532:65532 on the static base, else the base's)");
  build->add_option("--workdir", flags.workdir, "Working directory");
}

// build: layer compression, SBOM, output, the layer cache and the build file.
void AddBuildOutputFlags(CLI::App* build, BuildFlags& flags) {
  BuildSpec& o = flags.spec;
  BuildTexts& t = flags.texts;
  build->add_option("--compression", t.compression, "zstd | gzip | none (default zstd)");
  build->add_option("--compression-level", o.compression_level,
                    "Compression level (default: zstd 3, gzip 6)");
  build->add_option(
      "--sbom", t.sbom,
      "spdx | cyclonedx | none: SBOM per platform, attached as an OCI referrer (default spdx)");
  build->add_option("--output", t.output,
                    "oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:REPO:TAG] (TAG "
                    "defaults to latest; optional with --tag)");
  build->add_option("--cache-dir", o.cache_dir,
                    "Layer cache directory (default $XDG_CACHE_HOME/ocib or ~/.cache/ocib)");
  build->add_flag("--no-cache", o.no_cache, "Neither read nor write the layer cache");
  build->add_option("-f,--build-file", flags.build_file,
                    "JSON build file of one or more images; flags override its fields");
}

// build: pushing the result (--tag, --mount-from, --check-referrers).
void AddBuildPushFlags(CLI::App* build, BuildFlags& flags) {
  BuildSpec& o = flags.spec;
  BuildTexts& t = flags.texts;
  build->add_option("--tag", t.tags,
                    "Registry reference to push the result to (repeatable); prints REF@sha256:...");
  build->add_option("--mount-from", flags.mount_from,
                    "REPO of the --tag registry that may hold the image's blobs: those the "
                    "destination lacks are mounted from it instead of uploaded (repeatable)");
  AddCheckReferrersFlag(build, o.check_sboms,
                        "last | each | none: when a --tag already names the image, check the "
                        "last SBOM pushed (default; exact for SBOMs ocib pushed; no request when "
                        "this machine's push record in the cache lists it), each SBOM (pushing "
                        "those missing), or nothing more (one request per warm image)");
}

// build: the --json report.
void AddBuildReportFlags(CLI::App* build, BuildFlags& flags) {
  build->add_flag("--json", flags.json,
                  "Print a JSON report on stdout instead of the digest or REF@digest lines: the "
                  "digest, the pushed references, and per new layer and pushed blob its digest, "
                  "size, action (built, cached, uploaded, mounted, existed, skipped) and seconds; "
                  "with -f one line per image, in file order");
}

// `ocib build`: its flags in help order, then the registry flags.
void AddBuildCommand(CLI::App& app, CommandContext& ctx) {
  auto flags = std::make_shared<BuildFlags>();
  CLI::App* build = app.add_subcommand("build", "Build an image (one per platform) and write it");
  AddBuildInputFlags(build, *flags);
  AddBuildImageConfigFlags(build, *flags);
  AddBuildOutputFlags(build, *flags);
  AddBuildPushFlags(build, *flags);
  AddBuildReportFlags(build, *flags);
  AddRegistryFlags(build, flags->registry);
  build->callback([flags, &ctx, build]() { ctx.exit_code = RunBuild(*flags, *build); });
}

// --cache-dir, else the default; nullopt (the error reported) when neither.
std::optional<std::string> ResolveCacheDir(CommandContext& ctx, const std::string& flag,
                                           const std::string& what) {
  if (!flag.empty()) return flag;
  auto d = LayerCache::DefaultDir();
  if (!d) {
    ctx.exit_code = ReportError(std::move(d).error().With(what));
    return std::nullopt;
  }
  return *d;
}

// The flags of `ocib cache prune`.
struct PruneFlags {
  std::string cache_dir;
  int64_t max_size = -1;
  int64_t unused_for = -1;
  bool all = false;
  bool dry_run = false;
};

// `ocib cache prune`: prints what was removed and kept.
void AddCachePruneCommand(CLI::App* cache, CommandContext& ctx) {
  auto prune_flags = std::make_shared<PruneFlags>();
  CLI::App* prune = cache->add_subcommand(
      "prune",
      "Remove layer cache entries by last use or total size, and files no entry needs; prints "
      "what was removed and kept");
  prune->add_option("--cache-dir", prune_flags->cache_dir,
                    "Layer cache directory (default $XDG_CACHE_HOME/ocib or ~/.cache/ocib)");
  prune
      ->add_option("--max-size", prune_flags->max_size,
                   "Keep the most recently used layers up to this size (e.g. 10GB, 512MiB)")
      ->transform(CLI::AsSizeValue(true));
  prune
      ->add_option("--unused-for", prune_flags->unused_for,
                   "Remove layers not used for this long (e.g. 30d, 12h, 90m, 600s)")
      ->transform(CLI::AsNumberWithUnit(
          std::map<std::string, int64_t>{{"s", 1}, {"m", 60}, {"h", 3600}, {"d", 86400}},
          CLI::AsNumberWithUnit::UNIT_REQUIRED, "DURATION"));
  prune->add_flag("--all", prune_flags->all, "Remove every layer");
  prune->add_flag("--dry-run", prune_flags->dry_run,
                  "Remove nothing; print what would be removed and kept");
  prune->callback([prune_flags, &ctx]() {
    const PruneFlags& f = *prune_flags;
    std::optional<std::string> found = ResolveCacheDir(ctx, f.cache_dir, "cache prune");
    if (!found) return;
    const std::string& dir = *found;
    LayerCache::PruneOptions po;
    if (f.max_size >= 0) po.max_bytes = f.max_size;
    if (f.unused_for >= 0) po.unused_for_seconds = f.unused_for;
    po.all = f.all;
    po.dry_run = f.dry_run;
    auto r = LayerCache::Prune(dir, po);
    if (!r) {
      ctx.exit_code = ReportError(std::move(r).error().With(fmt::format("cache prune {}", dir)));
      return;
    }
    const char* would = f.dry_run ? "would have " : "";
    std::cout << would << "removed " << r->entries_removed << " layer(s), " << r->bytes_removed
              << " bytes; " << would << "kept " << r->entries_kept << " layer(s), " << r->bytes_kept
              << " bytes\n";
    ctx.exit_code = kExitOk;
  });
}

// `ocib cache verify`: exits 6 when an entry was broken.
void AddCacheVerifyCommand(CLI::App* cache, CommandContext& ctx) {
  auto verify_dir = std::make_shared<std::string>();
  CLI::App* verify = cache->add_subcommand(
      "verify",
      "Read every cached layer and check its size, sha256 and checksum; drop broken entries. "
      "Exit 6 when one was broken");
  verify->add_option("--cache-dir", *verify_dir,
                     "Layer cache directory (default $XDG_CACHE_HOME/ocib or ~/.cache/ocib)");
  verify->callback([verify_dir, &ctx]() {
    std::optional<std::string> dir = ResolveCacheDir(ctx, *verify_dir, "cache verify");
    if (!dir) return;
    auto r = LayerCache::Verify(*dir);
    if (!r) {
      ctx.exit_code = ReportError(std::move(r).error().With(fmt::format("cache verify {}", *dir)));
      return;
    }
    for (const std::string& p : r->problems) std::cerr << "ocib: cache verify: " << p << "\n";
    std::cout << "checked " << r->entries_checked << " layer(s), " << r->bytes_checked
              << " bytes; dropped " << r->entries_dropped << " broken\n";
    ctx.exit_code = r->entries_dropped == 0 ? kExitOk : kExitDigestMismatch;
  });
}

// `ocib validate`: a layout or archive; exits 6 when a problem was found.
void AddValidateCommand(CLI::App& app, CommandContext& ctx) {
  auto dir = std::make_shared<std::string>();
  CLI::App* validate = app.add_subcommand(
      "validate", "Recompute every digest and size and check every document of a layout");
  validate
      ->add_option("layout", *dir,
                   "oci:DIR (or a bare DIR) | oci-archive:FILE | docker-archive:FILE")
      ->required();
  validate->callback([dir, &ctx]() {
    auto r = IsLocalLocation(*dir) ? ValidateLocation(*dir) : ValidateLayout(*dir);
    if (!r) {
      ctx.exit_code = ReportError(std::move(r).error().With(fmt::format("validate {}", *dir)));
      return;
    }
    for (const auto& p : r->problems) std::cerr << "ocib: validate: " << p << "\n";
    std::cerr << "ocib: validate: " << r->documents << " documents, " << r->blobs << " blobs, "
              << r->layers << " layers checked, " << r->problems.size() << " problems\n";
    ctx.exit_code = r->problems.empty() ? kExitOk : kExitDigestMismatch;
  });
}

}  // namespace

void AddBuildCommands(CLI::App& app, CommandContext& ctx) {
  AddBuildCommand(app, ctx);
  CLI::App* cache = app.add_subcommand("cache", "Manage the layer cache");
  cache->require_subcommand(1);
  AddCachePruneCommand(cache, ctx);
  AddCacheVerifyCommand(cache, ctx);
  AddValidateCommand(app, ctx);
}

}  // namespace ocib::cli
