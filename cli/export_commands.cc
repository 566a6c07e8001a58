// export and unpack: an image's flattened filesystem as one tar or in a
// directory (ocib/unpack.h).
//
//   ocib export SRC [--platform P] -o FILE.tar|-
//   ocib unpack SRC DIR [--platform P] [--devices]
//
// Both take the registry flags (--insecure-registry, --ca-file, -v) for a
// registry source and -q to leave out the notes on stderr.
#include <unistd.h>

#include <cerrno>
#include <iostream>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "ocib/unpack.h"

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ocib::cli {
namespace {

struct UnpackFlags {
  std::string platform;
  RegistryFlags registry;
  bool devices = false;
};

void AddFlags(CLI::App* cmd, UnpackFlags& f) {
  cmd->add_option("--platform", f.platform,
                  "The platform to take from a multi-platform image, e.g. linux/arm64");
  AddRegistryFlags(cmd, f.registry);
}

// Writes to standard output.
class StdoutWriter : public Writer {
 public:
  Status Write(const void* data, size_t size) override {
    const char* p = static_cast<const char*>(data);
    while (size > 0) {
      const ssize_t n = ::write(STDOUT_FILENO, p, size);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) return IoError("writing to standard output failed");
      p += n;
      size -= static_cast<size_t>(n);
    }
    return {};
  }
  Status Close() override { return {}; }
};

Result<UnpackOptions> Options(const UnpackFlags& f) {
  UnpackOptions o;
  o.devices = f.devices;
  if (!f.platform.empty()) {
    auto p = Platform::Parse(f.platform);
    if (!p) return std::move(p).error().With("--platform");
    o.platform = *p;
  }
  return o;
}

void Notes(const UnpackFlags& f, const UnpackReport& r, const std::string& what) {
  if (f.registry.quiet) return;
  for (const std::string& n : r.notes) std::cerr << "ocib: note: " << n << "\n";
  std::cerr << "ocib: " << what << " " << r.entries << " entries of "
            << r.manifest.digest.ToString() << "\n";
}

int RunExport(const std::string& src, const std::string& out, const UnpackFlags& f) {
  auto where = ImageLocation::Parse(src);
  if (!where) return ReportError(std::move(where).error().With("export"));
  auto options = Options(f);
  if (!options) return ReportError(options.error());
  if (out == "-" && ::isatty(STDOUT_FILENO) != 0) {
    return ReportError(
        InvalidArgument("export: refusing to write a tar to a terminal; give "
                        "-o FILE.tar or redirect standard output"));
  }
  const RegistryOptions registry = MakeRegistryOptions(f.registry);
  StdoutWriter w;
  Result<UnpackReport> r = out == "-" ? ExportImage(*where, w, *options, registry)
                                      : ExportImageToFile(*where, out, *options, registry);
  if (!r) return ReportError(r.error());
  Notes(f, *r, "exported");
  return kExitOk;
}

int RunUnpack(const std::string& src, const std::string& dir, const UnpackFlags& f) {
  auto where = ImageLocation::Parse(src);
  if (!where) return ReportError(std::move(where).error().With("unpack"));
  auto options = Options(f);
  if (!options) return ReportError(options.error());
  auto r = UnpackImage(*where, dir, *options, MakeRegistryOptions(f.registry));
  if (!r) return ReportError(r.error());
  Notes(f, *r, "unpacked");
  std::cout << dir << "\n";
  return kExitOk;
}

constexpr const char* kSourceHelp =
    "oci:DIR[:TAG] | oci-archive:FILE[:TAG] | docker-archive:FILE[:REPO:TAG] | a registry "
    "reference";

}  // namespace

void AddExportCommands(CLI::App& app, CommandContext& ctx) {
  auto f = std::make_shared<UnpackFlags>();
  auto src = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  CLI::App* exp = app.add_subcommand(
      "export", "Write an image's filesystem (its layers applied in order) as one tar");
  exp->add_option("source", *src, kSourceHelp)->required();
  exp->add_option("--output,-o", *out, "The tar file to write, or - for standard output")
      ->required();
  AddFlags(exp, *f);
  exp->callback([f, src, out, &ctx] { ctx.exit_code = RunExport(*src, *out, *f); });

  auto uf = std::make_shared<UnpackFlags>();
  auto usrc = std::make_shared<std::string>();
  auto dir = std::make_shared<std::string>();
  CLI::App* un = app.add_subcommand(
      "unpack", "Write an image's filesystem into a new or empty directory; prints DIR");
  un->add_option("source", *usrc, kSourceHelp)->required();
  un->add_option("directory", *dir, "The directory to write (must not exist or be empty)")
      ->required();
  AddFlags(un, *uf);
  un->add_flag("--devices", uf->devices, "Create device nodes (only when running as root)");
  un->callback([uf, usrc, dir, &ctx] { ctx.exit_code = RunUnpack(*usrc, *dir, *uf); });
}

}  // namespace ocib::cli
