// Registry subcommands (placeholder until the registry work lands).
#include <iostream>

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ocib::cli {

void AddRegistryCommands(CLI::App& /*app*/, CommandContext& /*ctx*/) {}

int RunRemoteInspect(const std::string& ref, CommandContext& /*ctx*/) {
  return ReportError(Error(ErrorCode::kUnimplemented, "inspect " + ref + ": registries are not supported yet"));
}

}  // namespace ocib::cli
