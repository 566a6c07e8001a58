// ocib: the command-line front end. It parses flags, calls one library
// function per command, prints the result on stdout and maps errors to the
// exit codes in exit_codes.h. Logs and progress go to stderr.
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <iostream>

#include <CLI/CLI.hpp>

#include "ocib/version.h"

#include "cli/commands.h"
#include "cli/exit_codes.h"

namespace ocib::cli {

namespace {

// The flags that answer an error, when there are some (the library's
// messages name no flag).
std::string_view FlagHint(const Error& error) {
  const std::string& m = error.message();
  if (m.starts_with("TLS certificate of ") && m.find(" not trusted") != std::string::npos) {
    return "give the registry's CA with --ca-file FILE, or use --insecure-registry HOST";
  }
  if (m.starts_with("no layer cache directory")) return "pass --cache-dir DIR, or --no-cache";
  return "";
}

}  // namespace

int ReportError(const Error& error) {
  std::cerr << "ocib: error: " << error.ToString() << "\n";
  if (std::string_view hint = FlagHint(error); !hint.empty()) {
    std::cerr << "ocib: hint: " << hint << "\n";
  }
  return ExitCodeFor(error.code());
}

}  // namespace ocib::cli

namespace {

// A repeatable flag takes one value per occurrence, so `ocib append --layer
// a.tar SRC DST` leaves SRC and DST to the positionals (CLI11 lets a vector
// option take every argument that follows it otherwise). Lists are spelled
// with commas where a flag allows them (--platform a,b) or by repeating it.
void OneValuePerOccurrence(CLI::App& app) {
  for (CLI::Option* opt : app.get_options()) {
    if (!opt->get_positional() && opt->get_items_expected_max() > 1) {
      opt->allow_extra_args(false);
    }
  }
  for (CLI::App* sub : app.get_subcommands({})) OneValuePerOccurrence(*sub);
}

int Run(int argc, char** argv) {
  CLI::App app{"ocib: build, inspect and push OCI images without a daemon"};
  app.set_version_flag("--version", std::string("ocib ") + OCIB_VERSION_STRING);
  app.require_subcommand(1);
  ocib::cli::CommandContext ctx;
  ocib::cli::AddBuildCommands(app, ctx);
  ocib::cli::AddInspectCommands(app, ctx);
  ocib::cli::AddRegistryCommands(app, ctx);
  ocib::cli::AddImageCommands(app, ctx);
  ocib::cli::AddImageOpsCommands(app, ctx);
  ocib::cli::AddExportCommands(app, ctx);
  ocib::cli::AddReferenceCommands(app, ctx);
  OneValuePerOccurrence(app);
  try {
    app.parse(argc, argv);
  } catch (const CLI::CallForHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForAllHelp& e) {
    return app.exit(e);
  } catch (const CLI::CallForVersion& e) {
    return app.exit(e);
  } catch (const CLI::ParseError& e) {
    std::vector<std::string> args(argv + 1, argv + argc);
    std::optional<std::string> why = ocib::cli::ExplainUsageError(app, args);
    std::cerr << "ocib: usage error: " << why.value_or(e.what()) << "\n";
    std::cerr << "run 'ocib --help' or 'ocib COMMAND --help' for usage\n";
    return ocib::cli::kExitUsage;
  }
  return ctx.exit_code;
}

}  // namespace

int main(int argc, char** argv) {
  // The library reports failures as Status; an exception reaching here is a
  // bug or an allocation failure. Say so instead of letting std::terminate
  // abort without a message.
  try {
    const int code = Run(argc, argv);
    // Every object of the command is gone and its files closed; what is
    // left are the teardowns of the libraries loaded for it (libcurl's
    // OpenSSL, GnuTLS, Kerberos...), about as long as a warm push's request.
    // Flush and leave without them. Sanitizer builds exit normally, so that
    // LeakSanitizer still checks at exit.
    std::cout.flush();
    std::cerr.flush();
    std::fflush(nullptr);
#if !defined(__SANITIZE_ADDRESS__)
    std::_Exit(code);
#endif
    return code;
  } catch (const std::exception& e) {
    std::cerr << "ocib: error: internal: " << e.what() << "\n";
  } catch (...) {
    std::cerr << "ocib: error: internal: unknown exception\n";
  }
  return ocib::cli::kExitFailure;
}
