// The commands and flags of the CLI as data, read from the CLI11
// definitions, for the generated reference: Markdown, man page, completion.
#ifndef OCIB_CLI_REFERENCE_H_
#define OCIB_CLI_REFERENCE_H_

#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include <CLI/CLI.hpp>

namespace ocib::cli {

struct FlagDoc {
  std::vector<std::string> names;  // "--verbose", "-v"
  std::string value;               // "" for a flag without value
  std::string help;
  bool repeatable = false;
  bool registry = false;  // one of AddRegistryFlags'
};

struct CommandDoc {
  std::string path;  // "cache prune"
  std::string help;
  std::vector<std::string> subcommands;
  std::vector<std::pair<std::string, bool>> args;  // name, required
  std::vector<std::pair<std::string, std::string>> arg_help;
  std::vector<FlagDoc> flags;
};

// Every command below `app`, depth first, in registration order.
std::vector<CommandDoc> Commands(const CLI::App& app);

// A completion script for `shell` ("bash" or "zsh").
void PrintCompletion(const CLI::App& app, const std::string& shell, std::ostream& out);

}  // namespace ocib::cli

#endif  // OCIB_CLI_REFERENCE_H_
