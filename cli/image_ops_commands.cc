// Image operations that change layers: append and rebase. Each parses its
// flags, calls one library function (ocib/append.h, ocib/rebase.h), prints
// one REF@sha256: line per result on stdout and the report on stderr.
#include <cstdlib>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ocib/append.h"
#include "ocib/image_builder.h"
#include "ocib/rebase.h"

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ocib::cli {
namespace {

struct OpsFlags {
  RegistryFlags registry;
  std::string platforms;
  std::optional<SbomFormat> sbom;
};

void AddOpsFlags(CLI::App* cmd, OpsFlags& f) {
  cmd->add_option("--platform", f.platforms,
                  "Comma-separated platforms to keep and change (default: all)");
  AddNewSbomFlag(cmd, f.sbom);
  AddRegistryFlags(cmd, f.registry);
}

Result<std::vector<Platform>> Platforms(const OpsFlags& f) {
  if (f.platforms.empty() || f.platforms == "all") return std::vector<Platform>{};
  auto p = Platform::ParseList(f.platforms);
  if (!p) return std::move(p).error().With("--platform");
  return *p;
}

int Finish(const Result<MutateResult>& r, const OpsFlags& f) {
  if (!r) return ReportError(r.error());
  if (!f.registry.quiet) {
    for (const std::string& n : r->notes) std::cerr << "ocib: " << n << "\n";
    if (r->unchanged)
      std::cerr << "ocib: the destination already holds the result; nothing written\n";
  }
  for (const std::string& l : r->written) std::cout << l << "\n";
  return kExitOk;
}

// "[PLATFORM=]FILE": a platform prefix only when it parses as one.
AppendInput ParseLayer(const std::string& text) {
  AppendInput in;
  in.path = text;
  size_t eq = text.find('=');
  if (eq != std::string::npos && text.substr(0, eq).find('/') != std::string::npos) {
    if (auto p = Platform::Parse(text.substr(0, eq)); p) {
      in.platform = *p;
      in.path = text.substr(eq + 1);
    }
  }
  return in;
}

struct AppendFlags {
  std::vector<std::string> layers;
  std::string compression = "zstd";
  bool keep_whiteouts = false;
};

int RunAppend(const std::string& src, const std::string& dst, const AppendFlags& a,
              const OpsFlags& f) {
  auto from = ImageLocation::Parse(src);
  if (!from) return ReportError(std::move(from).error().With("append"));
  auto to = ImageLocation::Parse(dst);
  if (!to) return ReportError(std::move(to).error().With("append"));
  AppendOptions o;
  for (const std::string& l : a.layers) o.layers.push_back(ParseLayer(l));
  auto c = ParseCompression(a.compression);
  if (!c) return ReportError(std::move(c).error().With("append: --compression"));
  o.compression = *c;
  o.keep_whiteouts = a.keep_whiteouts;
  // The build's epoch: the same SOURCE_DATE_EPOCH, the same digest.
  if (const char* sde = std::getenv("SOURCE_DATE_EPOCH"); sde != nullptr) {  // NOLINT
    auto v = ParseSourceDateEpoch(sde);
    if (!v) return ReportError(std::move(v).error().With("append"));
    o.source_date_epoch = *v;
  }
  auto p = Platforms(f);
  if (!p) return ReportError(std::move(p).error().With("append"));
  o.platforms = *p;
  o.sbom = f.sbom;
  return Finish(Append(*from, *to, o, MakeRegistryOptions(f.registry)), f);
}

void AddAppendCommand(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<OpsFlags>();
  auto a = std::make_shared<AppendFlags>();
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "append",
      "Add layers (from tarballs or directories) to an image, every platform; base layers "
      "untouched and not downloaded");
  cmd->add_option("source", *src, "REF, oci:DIR[:TAG] or an archive")->required();
  cmd->add_option("destination", *dst, "REF, oci:DIR[:TAG] or an archive")->required();
  cmd->add_option("--layer", a->layers,
                  "[PLATFORM=]FILE: a .tar, .tar.gz or .tar.zst, or a directory (repeatable; in "
                  "order)")
      ->required();
  cmd->add_option("--compression", a->compression, "zstd (default), gzip or none");
  cmd->add_flag("--keep-whiteouts", a->keep_whiteouts,
                "Keep .wh.* entries (they delete files of the layers below)");
  AddOpsFlags(cmd, *f);
  cmd->callback([f, a, src, dst, &ctx] { ctx.exit_code = RunAppend(*src, *dst, *a, *f); });
}

struct RebaseFlags {
  std::string base;
  std::string old_base;
  std::string base_name;
};

int RunRebase(const CLI::App* cmd, const std::string& src, const std::string& dst,
              const RebaseFlags& b, const OpsFlags& f) {
  auto from = ImageLocation::Parse(src);
  if (!from) return ReportError(std::move(from).error().With("rebase"));
  auto to = ImageLocation::Parse(dst);
  if (!to) return ReportError(std::move(to).error().With("rebase"));
  auto base = ImageLocation::Parse(b.base);
  if (!base) return ReportError(std::move(base).error().With("rebase: --base"));
  RebaseOptions o{*base, std::nullopt, std::nullopt, {}, std::nullopt};
  if (!b.old_base.empty()) {
    auto old = ImageLocation::Parse(b.old_base);
    if (!old) return ReportError(std::move(old).error().With("rebase: --old-base"));
    o.old_base = *old;
  }
  if (cmd->count("--base-name") != 0) o.base_name = b.base_name;
  auto p = Platforms(f);
  if (!p) return ReportError(std::move(p).error().With("rebase"));
  o.platforms = *p;
  o.sbom = f.sbom;
  return Finish(Rebase(*from, *to, o, MakeRegistryOptions(f.registry)), f);
}

void AddRebaseCommand(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<OpsFlags>();
  auto b = std::make_shared<RebaseFlags>();
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "rebase", "Swap the base layers of an image (every platform); its own layers untouched");
  cmd->add_option("source", *src, "REF, oci:DIR[:TAG] or an archive")->required();
  cmd->add_option("destination", *dst, "REF, oci:DIR[:TAG] or an archive")->required();
  cmd->add_option("--base", b->base, "The new base: REF or oci:DIR[:TAG]")->required();
  cmd->add_option("--old-base", b->old_base,
                  "The old base (default: the image's org.opencontainers.image.base.name at "
                  "base.digest)");
  cmd->add_option("--base-name", b->base_name,
                  "org.opencontainers.image.base.name of the result (default: --base when the "
                  "image named its base; '' for none)");
  AddOpsFlags(cmd, *f);
  cmd->callback(
      [cmd, f, b, src, dst, &ctx] { ctx.exit_code = RunRebase(cmd, *src, *dst, *b, *f); });
}

}  // namespace

void AddImageOpsCommands(CLI::App& app, CommandContext& ctx) {
  AddAppendCommand(app, ctx);
  AddRebaseCommand(app, ctx);
}

}  // namespace ocib::cli
