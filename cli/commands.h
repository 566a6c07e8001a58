// Subcommand registration. Each Add*Commands function registers its
// subcommands on `app`; a subcommand's callback parses nothing itself beyond
// CLI11's flags, calls one library function, prints the result line on
// stdout and sets ctx.exit_code (see exit_codes.h).
#ifndef OCIB_CLI_COMMANDS_H_
#define OCIB_CLI_COMMANDS_H_

#include <CLI/CLI.hpp>

#include "ocib/registry.h"
#include "ocib/status.h"

namespace ocib::cli {

struct CommandContext {
  int exit_code = 0;
  bool verbose = false;
  bool quiet = false;
};

// Prints "ocib: error: <context>: <message>" to stderr and returns the exit
// code for the error.
int ReportError(const Error& error);

// build, inspect, validate.
void AddBuildCommands(CLI::App& app, CommandContext& ctx);
// push, pull, copy, digest, login, logout (and inspect REF for registries).
void AddRegistryCommands(CLI::App& app, CommandContext& ctx);

// ls, tag, delete, mutate.
void AddImageCommands(CLI::App& app, CommandContext& ctx);
// append, rebase.
void AddImageOpsCommands(CLI::App& app, CommandContext& ctx);
// export, unpack.
void AddExportCommands(CLI::App& app, CommandContext& ctx);

// `ocib inspect REF` for a registry reference (anything not starting with
// "oci:" or "oci-archive:"). Returns the exit code.
int RunRemoteInspect(const std::string& ref, CommandContext& ctx);
// `ocib referrers REF` and `ocib sbom REF [--platform P]` for a registry
// reference. Return the exit code.
int RunRemoteReferrers(const std::string& ref, const std::string& artifact_type,
                       CommandContext& ctx);
int RunRemoteSbom(const std::string& ref, const std::string& platform, CommandContext& ctx);

// RegistryOptions for --insecure-registry and --ca-file values, plus
// $OCIB_INSECURE_REGISTRY (comma-separated hosts) and $OCIB_CA_FILE (when
// `ca_file` is empty); `verbose` logs each request on stderr. No progress.
RegistryOptions RegistryOptionsFrom(const std::vector<std::string>& insecure,
                                    const std::string& ca_file, bool verbose);

}  // namespace ocib::cli

#endif  // OCIB_CLI_COMMANDS_H_
