// The one definition of the flags every command that talks to a registry
// takes (see AddRegistryFlags in commands.h), and the RegistryOptions they
// give.
#include <unistd.h>

#include <cstdlib>
#include <iostream>
#include <sstream>

#include "cli/commands.h"

namespace ocib::cli {
namespace {

constexpr const char* kRegistryGroup = "Registry options";

std::vector<std::string> SplitComma(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream ss(s);
  std::string item;
  while (std::getline(ss, item, ',')) {
    if (!item.empty()) out.push_back(item);
  }
  return out;
}

}  // namespace

void AddRegistryFlags(CLI::App* cmd, RegistryFlags& f) {
  cmd->add_option("--insecure-registry", f.insecure,
                  "HOST[:PORT] that may use plain HTTP or unverified TLS (repeatable; also "
                  "$OCIB_INSECURE_REGISTRY, comma-separated)")
      ->group(kRegistryGroup);
  cmd->add_option("--ca-file", f.ca_file,
                  "PEM file of extra trusted CA certificates (also $OCIB_CA_FILE)")
      ->group(kRegistryGroup);
  cmd->add_option("--jobs", f.jobs,
                  "Parallel work: blob transfers per image (default 4); with build -f, images "
                  "built and pushed at once (default max(16, 8 x cores))")
      ->check(CLI::Range(1, 512))
      ->group(kRegistryGroup);
  cmd->add_option("--timeout", f.timeout,
                  "Fail a request that moves less than 1 KiB/s for this many seconds (default 60)")
      ->check(CLI::Range(1, 86400))
      ->group(kRegistryGroup);
  cmd->add_option("--request-timeout", f.request_timeout,
                  "Fail a request that takes longer than this many seconds (default 3600)")
      ->check(CLI::Range(1, 604800))
      ->group(kRegistryGroup);
  cmd->add_option("--retries", f.retries, "Retries of a failed request (default 6)")
      ->check(CLI::Range(0, 100))
      ->group(kRegistryGroup);
  cmd->add_flag("--verbose,-v", f.verbose,
                "Log each HTTP request and each blob on stderr (secrets redacted)")
      ->group(kRegistryGroup);
  cmd->add_flag("--quiet,-q", f.quiet, "Nothing on stderr but errors")->group(kRegistryGroup);
}

RegistryOptions RegistryOptionsFrom(const std::vector<std::string>& insecure,
                                    const std::string& ca_file, bool verbose) {
  RegistryOptions o;
  o.insecure_registries = insecure;
  if (const char* env = std::getenv("OCIB_INSECURE_REGISTRY"); env != nullptr) {
    for (const std::string& h : SplitComma(env)) o.insecure_registries.push_back(h);
  }
  o.ca_file = ca_file;
  if (o.ca_file.empty()) {
    if (const char* env = std::getenv("OCIB_CA_FILE"); env != nullptr) o.ca_file = env;
  }
  if (verbose) {
    o.log = [](std::string_view line) { std::cerr << "ocib: " << line << "\n"; };
  }
  return o;
}

RegistryOptions MakeRegistryOptions(const RegistryFlags& f) {
  RegistryOptions o = RegistryOptionsFrom(f.insecure, f.ca_file, f.verbose && !f.quiet);
  if (f.jobs > 0) o.jobs = f.jobs;
  if (f.timeout > 0) o.stall_timeout = std::chrono::seconds(f.timeout);
  if (f.request_timeout > 0) o.request_timeout = std::chrono::seconds(f.request_timeout);
  if (f.retries >= 0) o.retry.max_attempts = f.retries + 1;
  if (!f.quiet && (f.verbose || ::isatty(2) != 0)) {
    o.progress = [](std::string_view line) { std::cerr << "ocib: " << line << "\n"; };
  }
  return o;
}

void AddCheckReferrersFlag(CLI::App* cmd, RegistryOptions::ReferrerCheck& mode,
                           const std::string& help) {
  using Check = RegistryOptions::ReferrerCheck;
  cmd->add_option_function<std::string>(
         "--check-referrers",
         [&mode](const std::string& v) {
           mode = v == "each" ? Check::kEach : v == "last" ? Check::kLast : Check::kNone;
         },
         help)
      ->check(CLI::IsMember({"each", "last", "none"}));
}

void AddNewSbomFlag(CLI::App* cmd, std::optional<SbomFormat>& format) {
  cmd->add_option_function<std::string>(
         "--sbom",
         [&format](const std::string& v) {
           format.reset();
           if (auto f = ParseSbomFormat(v); f) format = *f;
         },
         "spdx | cyclonedx | none: make an SBOM for each new image from the Go binary in its "
         "layers, attached as an OCI referrer (reads the layers; default none: the source's "
         "SBOMs, which describe its old manifests, are not carried over)")
      ->check(CLI::IsMember({"spdx", "cyclonedx", "none"}));
}

}  // namespace ocib::cli
