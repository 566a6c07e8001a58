// Day-2 image subcommands: ls, tag, delete, mutate. Each parses its flags,
// calls one library function (ocib/tags.h, ocib/delete.h, ocib/mutate.h),
// prints one result line per tag or manifest on stdout and the report on
// stderr.
//
// They take the registry flags of AddRegistryFlags (commands.h).
#include <iostream>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "ocib/delete.h"
#include "ocib/mutate.h"
#include "ocib/pull.h"
#include "ocib/tags.h"

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ocib::cli {
namespace {

// The registry flags (commands.h); -q also silences the report on stderr.
using ImageFlags = RegistryFlags;

RegistryOptions Options(const ImageFlags& f) { return MakeRegistryOptions(f); }

void Note(const ImageFlags& f, const std::string& line) {
  if (!f.quiet) std::cerr << "ocib: " << line << "\n";
}

int RunLs(const std::string& repo, bool digests, int page_size, const ImageFlags& f) {
  auto where = ImageLocation::Parse(repo);
  if (!where) return ReportError(std::move(where).error().With("ls"));
  ListTagsOptions list;
  list.digests = digests;
  list.page_size = page_size;
  auto tags = ListTags(*where, list, Options(f));
  if (!tags) return ReportError(tags.error());
  for (const TagEntry& t : *tags) std::cout << (digests ? t.reference : t.tag) << "\n";
  Note(f, fmt::format("{} tag(s) in {}", tags->size(), where->ToString()));
  return kExitOk;
}

int RunTag(const std::string& src, const std::vector<std::string>& tags, const ImageFlags& f) {
  auto where = ImageLocation::Parse(src);
  if (!where) return ReportError(std::move(where).error().With("tag"));
  auto lines = TagImage(*where, tags, Options(f));
  if (!lines) return ReportError(lines.error());
  for (const std::string& l : *lines) std::cout << l << "\n";
  return kExitOk;
}

int RunDelete(const std::string& ref, bool referrers, const ImageFlags& f) {
  auto target = DeleteTarget::Parse(ref);
  if (!target) return ReportError(std::move(target).error().With("delete"));
  DeleteOptions del;
  del.referrers = referrers;
  auto r = DeleteImage(*target, del, Options(f));
  if (!r) return ReportError(r.error());
  for (const std::string& n : r->notes) Note(f, n);
  for (const std::string& l : r->deleted) std::cout << l << "\n";
  return kExitOk;
}

struct MutateFlags {
  std::vector<std::string> entrypoint;
  std::vector<std::string> cmd;
  std::vector<std::string> env;
  std::vector<std::string> labels;
  std::vector<std::string> annotations;
  std::vector<std::string> expose;
  std::string user;
  std::string workdir;
  std::string platforms;
  std::optional<SbomFormat> sbom;
};

// "K=V" pairs into `out`; false (after reporting) on a malformed one.
bool ParsePairs(const std::vector<std::string>& in, const char* flag,
                std::map<std::string, std::string>& out) {
  for (const std::string& kv : in) {
    size_t eq = kv.find('=');
    if (eq == std::string::npos || eq == 0) {
      ReportError(InvalidArgument(fmt::format("mutate: {} \"{}\" is not K=V", flag, kv)));
      return false;
    }
    out[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  return true;
}

// An argument list given once as "" clears the field.
std::optional<std::vector<std::string>> Args(const CLI::App* cmd, const char* flag,
                                             const std::vector<std::string>& v) {
  if (cmd->count(flag) == 0) return std::nullopt;
  if (v.size() == 1 && v[0].empty()) return std::vector<std::string>{};
  return v;
}

int RunMutate(const CLI::App* cmd, const std::string& src, const std::string& dst,
              const MutateFlags& m, const ImageFlags& f) {
  auto from = ImageLocation::Parse(src);
  if (!from) return ReportError(std::move(from).error().With("mutate"));
  auto to = ImageLocation::Parse(dst);
  if (!to) return ReportError(std::move(to).error().With("mutate"));
  MutateOptions o;
  o.entrypoint = Args(cmd, "--entrypoint", m.entrypoint);
  o.cmd = Args(cmd, "--cmd", m.cmd);
  o.env = m.env;
  o.expose = m.expose;
  if (!ParsePairs(m.labels, "--label", o.labels) ||
      !ParsePairs(m.annotations, "--annotation", o.annotations)) {
    return kExitUsage;
  }
  if (cmd->count("--user") != 0) o.user = m.user;
  if (cmd->count("--workdir") != 0) o.working_dir = m.workdir;
  if (!m.platforms.empty() && m.platforms != "all") {
    auto p = Platform::ParseList(m.platforms);
    if (!p) return ReportError(std::move(p).error().With("mutate: --platform"));
    o.platforms = *p;
  }
  o.sbom = m.sbom;
  auto r = Mutate(*from, *to, o, Options(f));
  if (!r) return ReportError(r.error());
  for (const std::string& n : r->notes) Note(f, n);
  if (r->unchanged) Note(f, "the destination already holds the result; nothing written");
  for (const std::string& l : r->written) std::cout << l << "\n";
  return kExitOk;
}

void AddMutateCommand(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<ImageFlags>();
  auto m = std::make_shared<MutateFlags>();
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "mutate",
      "Change the config of an image (every platform): new configs, manifests and index; "
      "layers untouched");
  cmd->add_option("source", *src, "REF, oci:DIR[:TAG] or an archive")->required();
  cmd->add_option("destination", *dst, "REF, oci:DIR[:TAG] or an archive")->required();
  cmd->add_option("--entrypoint", m->entrypoint, "Entrypoint argument (repeatable; '' clears)");
  cmd->add_option("--cmd", m->cmd, "Cmd argument (repeatable; '' clears)");
  cmd->add_option("--env", m->env, "K=V (repeatable): set a variable");
  cmd->add_option("--label", m->labels, "K=V (repeatable): set a config label");
  cmd->add_option("--annotation", m->annotations,
                  "K=V (repeatable): set a manifest and index annotation");
  cmd->add_option("--user", m->user, "USER[:GROUP]");
  cmd->add_option("--workdir", m->workdir, "Working directory");
  cmd->add_option("--expose", m->expose, "PORT[/tcp|/udp] (repeatable)");
  cmd->add_option("--platform", m->platforms,
                  "Comma-separated platforms to keep and change (default: all)");
  AddNewSbomFlag(cmd, m->sbom);
  AddRegistryFlags(cmd, *f);
  cmd->callback(
      [cmd, f, m, src, dst, &ctx] { ctx.exit_code = RunMutate(cmd, *src, *dst, *m, *f); });
}

}  // namespace

void AddImageCommands(CLI::App& app, CommandContext& ctx) {
  {
    auto f = std::make_shared<ImageFlags>();
    auto repo = std::make_shared<std::string>();
    auto digests = std::make_shared<bool>(false);
    auto page_size = std::make_shared<int>(0);
    CLI::App* cmd = app.add_subcommand(
        "ls", "List the tags of a repository or an OCI layout; one tag per line");
    cmd->add_option("repository", *repo, "REPO (no tag) or oci:DIR")->required();
    cmd->add_flag("--digests", *digests, "Print REPO:TAG@sha256:... (one request per tag)");
    cmd->add_option("--page-size", *page_size, "Tags per page asked of the registry (?n=)")
        ->check(CLI::Range(1, 100000));
    AddRegistryFlags(cmd, *f);
    cmd->callback([f, repo, digests, page_size, &ctx] {
      ctx.exit_code = RunLs(*repo, *digests, *page_size, *f);
    });
  }
  {
    auto f = std::make_shared<ImageFlags>();
    auto src = std::make_shared<std::string>();
    auto tags = std::make_shared<std::vector<std::string>>();
    CLI::App* cmd = app.add_subcommand(
        "tag", "Point more tags at an image (manifest bytes unchanged, no blob moves)");
    cmd->add_option("reference", *src, "REF or oci:DIR:TAG")->required();
    cmd->add_option("tags", *tags, "New tags, in the same repository or layout")->required();
    AddRegistryFlags(cmd, *f);
    cmd->callback([f, src, tags, &ctx] { ctx.exit_code = RunTag(*src, *tags, *f); });
  }
  {
    auto f = std::make_shared<ImageFlags>();
    auto ref = std::make_shared<std::string>();
    auto referrers = std::make_shared<bool>(false);
    CLI::App* cmd = app.add_subcommand(
        "delete",
        "Delete an image by digest (with its tags) or one tag, from a registry or an OCI layout");
    cmd->add_option("reference", *ref,
                    "REPO@sha256:..., REPO:TAG, oci:DIR:TAG or oci:DIR@sha256:...")
        ->required();
    cmd->add_flag("--referrers", *referrers,
                  "Also delete the image's referrers (SBOMs, signatures); needs a digest");
    AddRegistryFlags(cmd, *f);
    cmd->callback([f, ref, referrers, &ctx] { ctx.exit_code = RunDelete(*ref, *referrers, *f); });
  }
  AddMutateCommand(app, ctx);
}

}  // namespace ocib::cli
