// Subcommand registration. Each Add*Commands function registers its
// subcommands on `app`; a subcommand's callback parses nothing itself beyond
// CLI11's flags, calls one library function, prints the result line on
// stdout and sets ctx.exit_code (see exit_codes.h).
#ifndef OCIB_CLI_COMMANDS_H_
#define OCIB_CLI_COMMANDS_H_

#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include "ocib/registry.h"
#include "ocib/sbom.h"
#include "ocib/status.h"

namespace ocib::cli {

struct CommandContext {
  int exit_code = 0;
};

// Why CLI11 refused `args` (argv without the program name) when the reason
// is an unknown command or flag, with the nearest known name ("unknown
// command 'biuld'; did you mean 'build'?"), or a missing command; nullopt
// otherwise (CLI11's own message applies).
std::optional<std::string> ExplainUsageError(const CLI::App& app,
                                             const std::vector<std::string>& args);

// Prints "ocib: error: <context>: <message>" to stderr and returns the exit
// code for the error.
int ReportError(const Error& error);

// build, validate, cache prune, cache verify.
void AddBuildCommands(CLI::App& app, CommandContext& ctx);
// inspect, sbom, referrers (layouts, archives and registries).
void AddInspectCommands(CLI::App& app, CommandContext& ctx);
// help [--markdown], man, completion bash|zsh: generated from the
// definitions of every command registered before (register it last).
void AddReferenceCommands(CLI::App& app, CommandContext& ctx);
// push, pull, copy, digest, login, logout.
void AddRegistryCommands(CLI::App& app, CommandContext& ctx);

// ls, tag, delete, mutate.
void AddImageCommands(CLI::App& app, CommandContext& ctx);
// append, rebase.
void AddImageOpsCommands(CLI::App& app, CommandContext& ctx);
// export, unpack.
void AddExportCommands(CLI::App& app, CommandContext& ctx);

// The flags of every command that talks to a registry, from one definition
// (AddRegistryFlags): --insecure-registry, --ca-file, --jobs, --timeout,
// --request-timeout, --retries, --verbose/-v, --quiet/-q. A command adds
// them with AddRegistryFlags(cmd, flags) and turns them into options with
// MakeRegistryOptions(flags).
struct RegistryFlags {
  std::vector<std::string> insecure;
  std::string ca_file;
  int jobs = 0;      // 0: the library's default
  int timeout = -1;  // seconds; -1: the library's default
  int request_timeout = -1;
  int retries = -1;
  bool verbose = false;
  bool quiet = false;
};
void AddRegistryFlags(CLI::App* cmd, RegistryFlags& flags);
// RegistryOptions from the flags and the environment ($OCIB_INSECURE_REGISTRY,
// $OCIB_CA_FILE). Requests are logged with -v; per-blob progress lines go to
// stderr with -v or when it is a terminal, never with -q.
RegistryOptions MakeRegistryOptions(const RegistryFlags& flags);
// --check-referrers each|last|none, stored into `mode` (which keeps the
// command's default when the flag is not given).
void AddCheckReferrersFlag(CLI::App* cmd, RegistryOptions::ReferrerCheck& mode,
                           const std::string& help);
// --sbom spdx|cyclonedx|none for the commands that make new images from
// published ones (mutate, append, rebase): stored into `format`, unset for
// none (the default).
void AddNewSbomFlag(CLI::App* cmd, std::optional<SbomFormat>& format);

// RegistryOptions for --insecure-registry and --ca-file values, plus
// $OCIB_INSECURE_REGISTRY (comma-separated hosts) and $OCIB_CA_FILE (when
// `ca_file` is empty); `verbose` logs each request on stderr. No progress.
RegistryOptions RegistryOptionsFrom(const std::vector<std::string>& insecure,
                                    const std::string& ca_file, bool verbose);

}  // namespace ocib::cli

#endif  // OCIB_CLI_COMMANDS_H_
