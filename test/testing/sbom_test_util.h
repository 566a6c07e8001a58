// Helpers for the SBOM tests: run commands, build the Go fixture with the
// real toolchain, parse `go version -m` output (an oracle independent of
// ocib's reader) and validate documents against the JSON schemas with
// python3-jsonschema.
#ifndef OCIB_TEST_TESTING_SBOM_TEST_UTIL_H_
#define OCIB_TEST_TESTING_SBOM_TEST_UTIL_H_

#include <ostream>
#include <string>
#include <vector>

#include "ocib/go_buildinfo.h"

namespace ocib::sbomtest {

struct CommandResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

// Runs `command` with /bin/sh and captures its output.
CommandResult Run(const std::string& command);

// Quotes `s` for /bin/sh.
std::string ShellQuote(const std::string& s);

// The source tree (OCIB_SOURCE_DIR) and a per-process scratch directory.
std::string SourceDir();
std::string ScratchDir();

// Reads and writes whole files.
std::string ReadFile(const std::string& path);
void WriteFile(const std::string& path, const std::string& bytes);

// Whether `go` is on PATH.
bool HaveGo();

struct GoTarget {
  std::string goos = "linux";
  std::string goarch;
  std::string goarm;      // "7" for arm/v7, else empty
  std::string ldflags;    // passed as -ldflags=... when not empty
  bool buildvcs = false;  // -buildvcs=auto (stamp vcs.* when possible) vs false
  std::string Name() const;
};

// For gtest's parameter names and messages.
inline void PrintTo(const GoTarget& t, std::ostream* os) { *os << t.Name(); }

// Builds fixtures/go/sbomapp for `target` (CGO_ENABLED=0, -trimpath,
// GOFLAGS=-mod=mod, GOPROXY=off, private GOCACHE) and returns the binary's
// path; on failure an empty string and `*log` holds the toolchain output.
std::string BuildFixture(const GoTarget& target, std::string* log);

// Runs `go version -m BINARY` and parses it with a small parser of its own.
// `*text` receives the module lines with their leading tab removed.
bool GoVersionM(const std::string& binary, GoBuildInfo* info, std::string* text, std::string* log);

// A python3 that can import jsonschema, or "" (the Debian one first).
std::string PythonWithJsonSchema();

// Validates the JSON document at `doc_path` against `kind` ("spdx-2.3" or
// "cyclonedx-1.5") using fixtures/schemas/sbom; returns "" if valid, else
// the validator's report.
std::string ValidateAgainstSchema(const std::string& python, const std::string& kind,
                                  const std::string& doc_path);

}  // namespace ocib::sbomtest

#endif  // OCIB_TEST_TESTING_SBOM_TEST_UTIL_H_
