// Registry subcommands: push, pull, copy, digest, login, logout. They take
// the registry flags of AddRegistryFlags (commands.h); push, pull and copy
// also --chunk-threshold and --chunk-size, push and copy
// --replace-referrers-tag (replace a "sha256-<hex>" tag that is not a
// referrers index).
#include <iostream>
#include <map>
#include <memory>

#include <fmt/format.h>

#include "ocib/auth.h"
#include "ocib/image_location.h"
#include "ocib/inspect.h"
#include "ocib/pull.h"
#include "ocib/push.h"
#include "ocib/reference.h"
#include "ocib/registry.h"
#include "ocib/sbom_query.h"

#include "cli/commands.h"
#include "cli/exit_codes.h"
#include "cli/transfer_view.h"

namespace ocib::cli {
namespace {

// The registry flags plus those of the commands that move blobs.
struct RemoteFlags {
  RegistryFlags registry;
  int64_t chunk_threshold = -1;
  int64_t chunk_size = -1;
  bool replace_referrers_tag = false;
  RegistryOptions::ReferrerCheck check_referrers = RegistryOptions::ReferrerCheck::kEach;
  bool json = false;
  std::vector<std::string> mount_from;
};

void AddRemoteFlags(CLI::App* cmd, RemoteFlags& f, bool transfers) {
  AddRegistryFlags(cmd, f.registry);
  if (transfers) {
    cmd->add_option("--chunk-threshold", f.chunk_threshold,
                    "Upload blobs of at least this many bytes in chunks (default 256 MiB)");
    cmd->add_option("--chunk-size", f.chunk_size, "Chunk size in bytes (default 16 MiB)");
    cmd->add_flag("--json", f.json,
                  "Print a JSON report on stdout instead of REF@digest lines: the digest, the "
                  "references, and per blob its digest, size, action (uploaded, mounted, "
                  "existed, skipped, downloaded) and seconds");
  }
}

void AddMountFromFlag(CLI::App* cmd, RemoteFlags& f) {
  cmd->add_option("--mount-from", f.mount_from,
                  "REPO of the destination registry that may hold the image's blobs: those the "
                  "destination lacks are mounted from it instead of uploaded (repeatable; the "
                  "first that is not the destination is used)");
}

void AddReplaceReferrersTagFlag(CLI::App* cmd, RemoteFlags& f) {
  cmd->add_flag("--replace-referrers-tag", f.replace_referrers_tag,
                "Replace a referrers fallback tag (sha256-<hex>) that holds something other "
                "than an image index");
  AddCheckReferrersFlag(cmd, f.check_referrers,
                        "each | last | none: when the destination tag already names the image, "
                        "check each referrer and push those missing (default), only the last one "
                        "pushed, or nothing more (one request)");
}

// The options of a transfer, wired to `view` (the bar and the --json
// report).
RegistryOptions MakeOptions(const RemoteFlags& f, const TransferView* view = nullptr) {
  RegistryOptions o = MakeRegistryOptions(f.registry);
  if (view != nullptr) view->Attach(o);
  if (f.chunk_threshold > 0) o.chunk_threshold = f.chunk_threshold;
  if (f.chunk_size > 0) o.chunk_size = f.chunk_size;
  o.replace_referrers_tag = f.replace_referrers_tag;
  o.check_referrers = f.check_referrers;
  o.mount_from = f.mount_from;
  return o;
}

Result<Reference> ParseRemote(const std::string& text) {
  OCIB_ASSIGN_OR_RETURN(ImageLocation where, ImageLocation::Parse(text));
  if (where.registry() == nullptr) {
    return InvalidArgument(fmt::format("\"{}\" is not a registry reference", text));
  }
  return where.registry()->reference;
}

// --platform for a copy or pull: empty or "all" means every platform.
Result<std::vector<Platform>> ParsePlatforms(const std::string& text) {
  if (text.empty() || text == "all") return std::vector<Platform>{};
  auto p = Platform::ParseList(text);
  if (!p) return std::move(p).error().With("--platform");
  return p;
}

// A push or copy failure. The only kAlreadyExists a transfer reports is a
// referrers fallback tag that holds something else: name the flag that
// replaces it.
int ReportTransferError(const Error& error) {
  const int code = ReportError(error);
  if (error.code() == ErrorCode::kAlreadyExists) {
    std::cerr << "ocib: hint: --replace-referrers-tag replaces that tag with an index of the "
                 "referrers\n";
  }
  return code;
}

int RunPush(const std::string& src, const std::string& dst, bool no_referrers,
            const RemoteFlags& f) {
  auto from = ImageLocation::Parse(src);
  if (!from) return ReportError(std::move(from).error().With("push"));
  if (!from->IsLocal()) {
    return ReportError(InvalidArgument(
        fmt::format("push: the source must be oci:DIR[:TAG], oci-archive:FILE[:TAG] or "
                    "docker-archive:FILE[:REPO:TAG], got \"{}\" (use copy between registries)",
                    src)));
  }
  auto to = ParseRemote(dst);
  if (!to) return ReportError(std::move(to).error().With("push"));
  CopyOptions copy;
  copy.referrers = !no_referrers;
  std::vector<std::string> pushed;
  auto view = MakeTransferView(f.registry.verbose, f.registry.quiet, f.json);
  auto r =
      Copy(*from, ImageLocation{RegistryLocation{*to}}, MakeOptions(f, view.get()), &pushed, copy);
  view->Finish();
  if (!r) return ReportTransferError(r.error());
  if (f.json) {
    std::cout << view->JsonReport(r->digest.ToString(), pushed) << "\n";
    return kExitOk;
  }
  for (const std::string& line : pushed) std::cout << line << "\n";
  return kExitOk;
}

int RunPull(const std::string& src, const std::string& dst, const std::string& platforms,
            bool no_referrers, const RemoteFlags& f) {
  auto from = ParseRemote(src);
  if (!from) return ReportError(std::move(from).error().With("pull"));
  auto to = ImageLocation::Parse(dst);
  if (!to) return ReportError(std::move(to).error().With("pull"));
  if (!to->IsLocal()) {
    return ReportError(InvalidArgument(
        fmt::format("pull: the destination must be oci:DIR[:TAG], oci-archive:FILE[:TAG] or "
                    "docker-archive:FILE[:REPO:TAG], got \"{}\"",
                    dst)));
  }
  auto wanted = ParsePlatforms(platforms);
  if (!wanted) return ReportError(std::move(wanted).error().With("pull"));
  CopyOptions copy;
  copy.referrers = !no_referrers;
  copy.platforms = *wanted;
  auto view = MakeTransferView(f.registry.verbose, f.registry.quiet, f.json);
  auto r =
      Copy(ImageLocation{RegistryLocation{*from}}, *to, MakeOptions(f, view.get()), nullptr, copy);
  view->Finish();
  if (!r) return ReportError(r.error());
  if (f.json) {
    const std::string ref =
        wanted->empty() ? fmt::format("{}@{}", from->WithDigest("").String(), r->digest.ToString())
                        : fmt::format("local {}@{}", to->ToString(), r->digest.ToString());
    std::cout << view->JsonReport(r->digest.ToString(), {ref}) << "\n";
    return kExitOk;
  }
  if (wanted->empty()) {
    std::cout << from->WithDigest("").String() << "@" << r->digest.ToString() << "\n";
    return kExitOk;
  }
  // A subset of the platforms is a new index that only the destination holds.
  std::cout << "local " << to->ToString() << "@" << r->digest.ToString() << "\n";
  if (!f.registry.quiet) {
    std::cerr << fmt::format(
        "ocib: pull: {} is a new index of the selected platforms, written to {} only; {} has "
        "no such digest\n",
        r->digest.ToString(), to->ToString(), from->String());
  }
  return kExitOk;
}

int RunCopy(const std::string& src, const std::string& dst, const std::string& platforms,
            bool no_referrers, const RemoteFlags& f) {
  auto from = ImageLocation::Parse(src);
  if (!from) return ReportError(std::move(from).error().With("copy"));
  auto to = ImageLocation::Parse(dst);
  if (!to) return ReportError(std::move(to).error().With("copy"));
  auto wanted = ParsePlatforms(platforms);
  if (!wanted) return ReportError(std::move(wanted).error().With("copy"));
  const bool docker =
      to->archive() != nullptr && to->archive()->kind == ArchiveLocation::Kind::kDocker;
  if (!wanted->empty() && !docker) {
    return ReportError(
        InvalidArgument("copy: --platform applies to docker-archive destinations only (copy "
                        "carries every platform; use pull --platform for a subset)"));
  }
  std::vector<std::string> pushed;
  CopyOptions copy;
  copy.referrers = !no_referrers;
  copy.platforms = *wanted;
  auto view = MakeTransferView(f.registry.verbose, f.registry.quiet, f.json);
  auto r = Copy(*from, *to, MakeOptions(f, view.get()), &pushed, copy);
  view->Finish();
  if (!r) return ReportTransferError(r.error());
  if (f.json) {
    std::cout << view->JsonReport(r->digest.ToString(), pushed) << "\n";
    return kExitOk;
  }
  if (pushed.empty()) {
    std::cout << r->digest.ToString() << "\n";
  } else {
    for (const std::string& line : pushed) std::cout << line << "\n";
  }
  return kExitOk;
}

int RunDigest(const std::string& ref_text, const RemoteFlags& f) {
  auto where = ImageLocation::Parse(ref_text);
  if (!where) return ReportError(std::move(where).error().With("digest"));
  if (where->IsLocal()) {
    // The first document InspectLayout returns is the named one, byte for byte.
    auto docs = InspectLayout(ref_text);
    if (!docs) return ReportError(std::move(docs).error().With(fmt::format("digest {}", ref_text)));
    std::cout << Digest::Sha256Of(docs->front()).ToString() << "\n";
    return kExitOk;
  }
  const Reference& ref = where->registry()->reference;
  std::string what = "digest " + ref.String();
  auto client = RegistryClient::Create(ref.domain(), MakeOptions(f));
  if (!client) return ReportError(std::move(client).error().With(what));
  auto m = (*client)->GetManifest(ref.path(), ref.Identifier());
  if (!m) return ReportError(std::move(m).error().With(what));
  std::cout << m->digest.ToString() << "\n";
  return kExitOk;
}

std::string NormalizeRegistryArg(const std::string& text) {
  std::string s = ConvertToHostname(text);
  if (s == "index.docker.io" || s == "registry-1.docker.io") s = "docker.io";
  return s;
}

int RunLogin(const std::string& registry_arg, const std::string& user, bool password_stdin,
             const RemoteFlags& f) {
  std::string registry = NormalizeRegistryArg(registry_arg);
  std::string what = "login " + registry;
  if (user.empty())
    return ReportError(InvalidArgument(fmt::format("{}: --username is required", what)));
  if (!password_stdin) {
    return ReportError(InvalidArgument(fmt::format("{}: --password-stdin is required", what)));
  }
  std::string password((std::istreambuf_iterator<char>(std::cin)),
                       std::istreambuf_iterator<char>());
  while (!password.empty() && (password.back() == '\n' || password.back() == '\r')) {
    password.pop_back();
  }
  if (password.empty())
    return ReportError(InvalidArgument(fmt::format("{}: empty password on stdin", what)));
  Credential cred;
  cred.username = user;
  cred.password = password;
  RegistryOptions o = MakeOptions(f);
  o.keychain = MakeStaticKeychain({{registry, cred}});
  auto client = RegistryClient::Create(registry, o);
  if (!client) return ReportError(std::move(client).error().With(what));
  Status check = (*client)->CheckCredentials();
  if (!check) return ReportError(std::move(check).error().With(what));
  Status stored = StoreCredential(registry, cred);
  if (!stored) return ReportError(std::move(stored).error().With(what));
  std::cerr << "ocib: login succeeded for " << registry << " (" << DockerConfigPath() << ")\n";
  return kExitOk;
}

int RunLogout(const std::string& registry_arg) {
  std::string registry = NormalizeRegistryArg(registry_arg);
  Status s = EraseCredential(registry);
  if (!s) return ReportError(std::move(s).error().With(fmt::format("logout {}", registry)));
  std::cerr << "ocib: removed credentials for " << registry << "\n";
  return kExitOk;
}

void AddPush(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<RemoteFlags>();
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "push", "Push an image from an OCI layout or archive; prints REF@sha256:... per tag");
  cmd->add_option("source", *src,
                  "oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:REPO:TAG]")
      ->required();
  cmd->add_option("destination", *dst, "Registry reference, e.g. 127.0.0.1:5000/app:1")->required();
  auto no_referrers = std::make_shared<bool>(false);
  cmd->add_flag("--no-referrers", *no_referrers,
                "Leave out the image's referrers (SBOMs, signatures)");
  AddRemoteFlags(cmd, *f, true);
  AddReplaceReferrersTagFlag(cmd, *f);
  AddMountFromFlag(cmd, *f);
  cmd->callback([f, src, dst, no_referrers, &ctx] {
    ctx.exit_code = RunPush(*src, *dst, *no_referrers, *f);
  });
}

void AddPull(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<RemoteFlags>();
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  auto platforms = std::make_shared<std::string>();
  auto no_referrers = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "pull",
      "Pull an image and its referrers into an OCI layout or archive, verifying every digest; "
      "prints REF@sha256:...");
  cmd->add_option("source", *src, "Registry reference")->required();
  cmd->add_option("destination", *dst,
                  "oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:REPO:TAG]")
      ->required();
  cmd->add_option("--platform", *platforms,
                  "Comma-separated platforms to pull, e.g. linux/amd64 (default: all; one for "
                  "docker-archive)");
  cmd->add_flag("--no-referrers", *no_referrers,
                "Leave out the image's referrers (SBOMs, signatures)");
  AddRemoteFlags(cmd, *f, true);
  cmd->callback([f, src, dst, platforms, no_referrers, &ctx] {
    ctx.exit_code = RunPull(*src, *dst, *platforms, *no_referrers, *f);
  });
}

void AddCopy(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<RemoteFlags>();
  auto src = std::make_shared<std::string>();
  auto dst = std::make_shared<std::string>();
  auto no_referrers = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "copy",
      "Copy all platforms of an image and its referrers between registries, OCI layouts and "
      "archives");
  cmd->add_option("source", *src,
                  "oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:REPO:TAG] | a "
                  "registry reference")
      ->required();
  cmd->add_option("destination", *dst, "Any location the source may be")->required();
  auto platforms = std::make_shared<std::string>();
  cmd->add_option("--platform", *platforms,
                  "The one platform a docker-archive destination gets, e.g. linux/amd64");
  cmd->add_flag("--no-referrers", *no_referrers,
                "Leave out the image's referrers (SBOMs, signatures)");
  AddRemoteFlags(cmd, *f, true);
  AddReplaceReferrersTagFlag(cmd, *f);
  AddMountFromFlag(cmd, *f);
  cmd->callback([f, src, dst, platforms, no_referrers, &ctx] {
    ctx.exit_code = RunCopy(*src, *dst, *platforms, *no_referrers, *f);
  });
}

void AddDigest(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<RemoteFlags>();
  auto ref = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand(
      "digest", "Print the digest a registry reference, layout or archive location names");
  cmd->add_option("reference", *ref, "Registry reference or a local location")->required();
  AddRemoteFlags(cmd, *f, false);
  cmd->callback([f, ref, &ctx] { ctx.exit_code = RunDigest(*ref, *f); });
}

void AddLogin(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<RemoteFlags>();
  auto registry = std::make_shared<std::string>();
  auto user = std::make_shared<std::string>();
  auto password_stdin = std::make_shared<bool>(false);
  CLI::App* cmd = app.add_subcommand(
      "login", "Check credentials and store them in the docker config (mode 0600)");
  cmd->add_option("registry", *registry, "Registry host[:port]")->required();
  cmd->add_option("--username,-u", *user, "User name")->required();
  cmd->add_flag("--password-stdin", *password_stdin, "Read the password from stdin");
  AddRemoteFlags(cmd, *f, false);
  cmd->callback([f, registry, user, password_stdin, &ctx] {
    ctx.exit_code = RunLogin(*registry, *user, *password_stdin, *f);
  });
}

void AddLogout(CLI::App& app, CommandContext& ctx) {
  auto registry = std::make_shared<std::string>();
  CLI::App* cmd = app.add_subcommand("logout", "Remove stored credentials for a registry");
  cmd->add_option("registry", *registry, "Registry host[:port]")->required();
  cmd->callback([registry, &ctx] { ctx.exit_code = RunLogout(*registry); });
}

}  // namespace

void AddRegistryCommands(CLI::App& app, CommandContext& ctx) {
  AddPush(app, ctx);
  AddPull(app, ctx);
  AddCopy(app, ctx);
  AddDigest(app, ctx);
  AddLogin(app, ctx);
  AddLogout(app, ctx);
}

}  // namespace ocib::cli
