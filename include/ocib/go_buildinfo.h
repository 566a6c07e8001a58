// File: ocib/go_buildinfo.h
//
// Reads the build information that the Go toolchain embeds in every binary
// it links (what `go version -m BINARY` prints), from the binary itself: no
// `go` tool is needed at run time.
//
// Supported: ELF executables, 32- and 64-bit, little and big endian (so
// linux/amd64, arm64, arm/v7, 386, ppc64le, s390x, mips...). Both layouts of
// the build-info header are decoded: the inline one written by Go 1.18 and
// later (flag bit 0x2: the version and module strings follow the header as
// varint-length-prefixed bytes) and the older pointer one (the header holds
// pointers to Go string headers, resolved through the PT_LOAD segments).
//
// Example:
//   OCIB_ASSIGN_OR_RETURN(ocib::GoBuildInfo info, ocib::ReadGoBuildInfo("out/app"));
//   // info.go_version == "go1.19.8", info.main.path == "example.com/app"
//   // info.FindSetting("GOARCH") -> "arm64"
//
// Thread safety: free functions on values; safe to call concurrently.
#ifndef OCIB_INCLUDE_OCIB_GO_BUILDINFO_H_
#define OCIB_INCLUDE_OCIB_GO_BUILDINFO_H_

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "ocib/export.h"
#include "ocib/status.h"

namespace ocib {

// A module as the build info records it: path, version and go.sum hash
// ("h1:<base64 SHA-256>"). `version` is "(devel)" for the main module and
// for a replacement by a local directory (whose `path` is then the
// directory, e.g. "../lib"); `sum` is empty when the toolchain had none.
struct OCIB_EXPORT GoModule {
  std::string path;
  std::string version;
  std::string sum;

  friend bool operator==(const GoModule& a, const GoModule& b) = default;
};

// A `dep` line plus, when go.mod replaced the module, the `=>` line after it.
// When `replace` is set, the code that was linked is the replacement's and
// `sum` is empty (Go records the replacement's sum instead).
struct OCIB_EXPORT GoDependency {
  std::string path;
  std::string version;
  std::string sum;
  std::optional<GoModule> replace;

  // The module whose code was linked: `*replace` if set, else this one.
  GoModule Effective() const { return replace ? *replace : GoModule{path, version, sum}; }

  friend bool operator==(const GoDependency& a, const GoDependency& b) = default;
};

struct OCIB_EXPORT GoBuildInfo {
  // Toolchain version, e.g. "go1.21.5" (the Go standard library linked in).
  std::string go_version;
  // Import path of the main package (`path` line), e.g. "example.com/app/cmd/app".
  std::string path;
  // The main module (`mod` line); all fields empty if the binary was built
  // outside module mode.
  GoModule main;
  // `dep` lines, in the order the toolchain wrote them (sorted by path).
  std::vector<GoDependency> deps;
  // `build` lines as (key, value), in order, unquoted: ("-trimpath", "true"),
  // ("CGO_ENABLED", "0"), ("GOARCH", "arm"), ("GOARM", "7"),
  // ("-ldflags", "-s -w"), ("vcs.revision", "..."), ...
  std::vector<std::pair<std::string, std::string>> settings;

  // The value of the first setting named `key`, if any.
  std::optional<std::string> FindSetting(std::string_view key) const;

  // The text `go version -m` prints after the file name line, without its
  // leading tabs, in the form of Go's runtime/debug.BuildInfo.String():
  //   "go\tgo1.19.8\npath\t...\nmod\t...\ndep\t...\n=>\t...\nbuild\tK=V\n".
  // Keys and values that need it are quoted as Go's strconv.Quote does for
  // ASCII (non-ASCII UTF-8 is written as is).
  std::string ToString() const;

  friend bool operator==(const GoBuildInfo& a, const GoBuildInfo& b) = default;
};

// Reads the build information of the Go binary at `path`. Reads only the
// ELF headers and the build-info section, not the whole file.
// Errors:
//   kNotFound        `path` does not exist;
//   kIo              it cannot be read;
//   kInvalidArgument it is not an ELF file, or is ELF but carries no Go build
//                    information (not a Go binary, or stripped of it), or the
//                    build information is malformed; the message names `path`
//                    and the reason;
//   kUnimplemented   a build-info header version this reader does not know.
OCIB_EXPORT Result<GoBuildInfo> ReadGoBuildInfo(const std::string& path);

// The same, from the bytes of a whole binary held in memory. `name` is used
// in error messages only.
OCIB_EXPORT Result<GoBuildInfo> ParseGoBuildInfoFromElf(std::string_view elf_bytes,
                                                        std::string_view name);

// Parses the module-information text (the part after the "go" line, as the
// toolchain embeds it between its 16-byte sentinels, sentinels removed): the
// `path`, `mod`, `dep`, `=>` and `build` lines. A leading `go` line is
// accepted and sets go_version; empty and unknown lines are ignored (newer
// toolchains may add kinds). Returns kInvalidArgument for a malformed line
// (wrong field count, `=>` without a preceding `dep`, bad quoting).
OCIB_EXPORT Result<GoBuildInfo> ParseGoModInfo(std::string_view text);

}  // namespace ocib

#endif  // OCIB_INCLUDE_OCIB_GO_BUILDINFO_H_
