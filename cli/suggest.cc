// "Did you mean": explains a command line CLI11 refused because of an
// unknown command or flag, suggesting the nearest known name.
#include "ocib/suggest.h"

#include <algorithm>
#include <optional>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "cli/commands.h"

namespace ocib::cli {
namespace {

// "ocib cache prune" for the prune subcommand.
std::string FullName(const CLI::App& app) {
  std::string name;
  for (const CLI::App* a = &app; a->get_parent() != nullptr; a = a->get_parent()) {
    name = fmt::format(" {}{}", a->get_name(), name);
  }
  return "ocib" + name;
}

// The known spellings of `app`'s flags: "--name" and "-n".
std::vector<std::string> FlagNames(const CLI::App& app) {
  std::vector<std::string> out{"--help", "-h"};
  for (const CLI::Option* opt : app.get_options()) {
    if (opt->get_positional()) continue;
    for (const std::string& l : opt->get_lnames()) out.push_back("--" + l);
    for (const std::string& s : opt->get_snames()) out.push_back("-" + s);
  }
  return out;
}

std::vector<std::string> CommandNames(const CLI::App& app) {
  std::vector<std::string> out;
  for (const CLI::App* sub : app.get_subcommands({})) out.push_back(sub->get_name());
  return out;
}

// "; did you mean 'X'?" for the nearest candidate within the distance a
// typo makes (a third of the word, 1 to 3), else "".
std::string DidYouMean(const std::string& word, const std::vector<std::string>& candidates) {
  const size_t limit = std::max<size_t>(1, std::min<size_t>(3, word.size() / 3));
  std::optional<std::string> best = ClosestMatch(word, candidates, limit);
  if (word.size() <= 2 || !best) return "";
  return fmt::format("; did you mean '{}'?", *best);
}

// The message for the flag `arg` (the part before any '=') unknown to `app`,
// or nullopt when it is known.
std::optional<std::string> CheckFlag(const CLI::App& app, const std::string& arg) {
  std::string name = arg.substr(0, arg.find('='));
  if (name.size() > 2 && name[1] != '-') name = name.substr(0, 2);  // -vq, -fFILE
  std::vector<std::string> known = FlagNames(app);
  if (std::find(known.begin(), known.end(), name) != known.end()) return std::nullopt;
  return fmt::format("unknown flag '{}' for '{}'{}", name, FullName(app), DidYouMean(name, known));
}

}  // namespace

std::optional<std::string> ExplainUsageError(const CLI::App& app,
                                             const std::vector<std::string>& args) {
  const CLI::App* cur = &app;
  for (const std::string& arg : args) {
    if (arg == "--") return std::nullopt;
    if (arg.size() > 1 && arg[0] == '-') {
      if (auto msg = CheckFlag(*cur, arg)) return msg;
      continue;
    }
    if (cur->get_subcommands({}).empty()) continue;  // a positional argument
    const CLI::App* sub = nullptr;
    for (const CLI::App* c : cur->get_subcommands({})) {
      if (c->check_name(arg)) sub = c;
    }
    if (sub == nullptr) {
      std::string where = cur == &app ? "" : fmt::format(" of '{}'", FullName(*cur));
      return fmt::format("unknown command '{}'{}{}", arg, where,
                         DidYouMean(arg, CommandNames(*cur)));
    }
    cur = sub;
  }
  if (!cur->get_subcommands({}).empty() && cur->get_require_subcommand_min() > 0) {
    return fmt::format("'{}' needs a command: {}", FullName(*cur),
                       fmt::join(CommandNames(*cur), ", "));
  }
  return std::nullopt;
}

}  // namespace ocib::cli
