#include "lib/builder/input_checks.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <map>

#include <fmt/format.h>

#include "ocib/go_buildinfo.h"
#include "ocib/media_type.h"

#include "lib/archive/tar_scan.h"
#include "lib/io/streams.h"
#include "lib/sbom/elf.h"

namespace ocib::build {
namespace {

// At most `n` bytes of `s`, with "..." when cut: long names stay readable.
std::string Clip(std::string_view s, size_t n = 64) {
  if (s.size() <= n) return std::string(s);
  return std::string(s.substr(0, n)) + "...";
}

// True when `dir` is a proper ancestor of `path` ("a" of "a/b").
bool IsBelow(std::string_view path, std::string_view dir) {
  return path.size() > dir.size() && path.compare(0, dir.size(), dir) == 0 &&
         path[dir.size()] == '/';
}

struct Owner {
  size_t input = 0;
  FileEntry::Type type = FileEntry::Type::kRegular;
};

Status CheckAgainstBinary(const FileEntry& e, const std::string& label,
                          const std::string& binary_dest) {
  bool clash = e.path == binary_dest || IsBelow(e.path, binary_dest) ||
               (e.type != FileEntry::Type::kDirectory && IsBelow(binary_dest, e.path));
  if (!clash) return {};
  return InvalidArgument(fmt::format("file input \"{}\" puts /{} where the binary goes (/{})",
                                     label, e.path, binary_dest));
}

constexpr std::array<std::string_view, 8> kElfOs{"linux",   "android", "freebsd", "netbsd",
                                                 "openbsd", "solaris", "illumos", "dragonfly"};

// The first bytes of `path` (at most elf::kElfHeaderBytes).
Result<std::string> ReadHead(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    int err = errno;
    return Error(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
                 fmt::format("open {}: {}", path, io::ErrnoText(err)));
  }
  std::string head(elf::kElfHeaderBytes, '\0');
  size_t got = 0;
  while (got < head.size()) {
    ssize_t n = ::read(fd, head.data() + got, head.size() - got);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int err = errno;
      ::close(fd);
      return IoError(fmt::format("read {}: {}", path, io::ErrnoText(err)));
    }
    if (n == 0) break;
    got += static_cast<size_t>(n);
  }
  ::close(fd);
  head.resize(got);
  return head;
}

// The level digit of "v3" or "7" ("7,softfloat" counts as 7); 0 if none.
int Level(std::string_view text) {
  if (!text.empty() && text[0] == 'v') text.remove_prefix(1);
  if (text.empty() || text[0] < '0' || text[0] > '9') return 0;
  return text[0] - '0';
}

// Compares a Go binary's build settings with `platform`.
Status CheckGoSettings(const GoBuildInfo& info, const Platform& platform) {
  auto setting = [&](std::string_view key) { return info.FindSetting(key).value_or(""); };
  const std::string goos = setting("GOOS");
  const std::string goarch = setting("GOARCH");
  if ((!goos.empty() && goos != platform.os) ||
      (!goarch.empty() && goarch != platform.architecture)) {
    return InvalidArgument(fmt::format("its Go build information says GOOS={} GOARCH={}, not {}",
                                       goos, goarch, platform.ToString()));
  }
  const Platform p = platform.Normalized();
  const std::string goarm = setting("GOARM");
  if (p.architecture == "arm" && !goarm.empty() && Level(goarm) > Level(p.variant)) {
    return InvalidArgument(
        fmt::format("it was built with GOARM={}, which {} cannot run", goarm, platform.ToString()));
  }
  const std::string goamd64 = setting("GOAMD64");
  if (p.architecture == "amd64" && !goamd64.empty() &&
      Level(goamd64) > std::max(1, Level(p.variant))) {
    return InvalidArgument(fmt::format("it was built with GOAMD64={}, which {} does not promise",
                                       goamd64, platform.ToString()));
  }
  return {};
}

}  // namespace

Status CheckBinaryPlatform(const std::string& path, const Platform& platform) {
  auto refuse = [&](Error e) {
    return std::move(e).With(
        fmt::format("checking that {} is an executable for {}", path, platform.ToString()));
  };
  auto head = ReadHead(path);
  if (!head) return refuse(std::move(head).error());
  if (!elf::HasElfMagic(*head)) {
    if (std::find(kElfOs.begin(), kElfOs.end(), platform.os) == kElfOs.end()) return {};
    return refuse(InvalidArgument(fmt::format(
        "it is not an ELF executable, and {} runs only ELF executables (to build the image "
        "anyway, skip the binary check)",
        platform.os)));
  }
  auto header = elf::ParseElfHeader(*head);
  if (!header) return refuse(std::move(header).error());
  if (Status st = elf::CheckElfPlatform(*header, platform); !st)
    return refuse(std::move(st).error());
  auto info = ReadGoBuildInfo(path);
  if (!info) return {};  // not a Go binary (or none it can read): the header is all there is
  if (Status st = CheckGoSettings(*info, platform); !st) return refuse(std::move(st).error());
  return {};
}

Result<BaseDirectories> LayerDirectories(BlobStore& layout, const std::vector<Descriptor>& layers) {
  BaseDirectories out;
  for (const Descriptor& l : layers) {
    if (!media_type::IsLayer(l.media_type)) continue;
    auto have = layout.Has(l.digest);
    if (!have) {
      return std::move(have).error().With(
          fmt::format("reading base layer {}", l.digest.ToString()));
    }
    if (!*have) {  // lent by a registry: not readable here
      out.complete = false;
      continue;
    }
    auto reader = layout.Open(l.digest);
    if (!reader) {
      return std::move(reader).error().With(
          fmt::format("reading base layer {}", l.digest.ToString()));
    }
    archive::TarDirectoryScanner scanner(&out.dirs);
    Status st = DecompressLayer(**reader, l.media_type, scanner);
    if (st) st = scanner.Close();
    if (!st) {
      return std::move(st).error().With(
          fmt::format("listing the directories of base layer {}", l.digest.ToString()));
    }
  }
  return out;
}

Status CheckImagePath(std::string_view path, std::string_view input) {
  if (path.size() + 1 > kMaxPathBytes) {
    return InvalidArgument(
        fmt::format("{}: image path /{} is {} bytes long; Linux unpacks at most {}", input,
                    Clip(path), path.size() + 1, kMaxPathBytes));
  }
  size_t start = 0;
  while (start <= path.size()) {
    size_t slash = path.find('/', start);
    std::string_view name = path.substr(
        start, slash == std::string_view::npos ? std::string_view::npos : slash - start);
    if (name.size() > kMaxNameBytes) {
      return InvalidArgument(
          fmt::format("{}: name \"{}\" in image path /{} is {} bytes long; Linux allows at most {}",
                      input, Clip(name), Clip(path), name.size(), kMaxNameBytes));
    }
    if (name.substr(0, 4) == ".wh.") {
      return InvalidArgument(fmt::format(
          "{}: image path /{} is named like a whiteout (.wh.*): in a layer it would delete "
          "the base's {} instead of adding a file",
          input, Clip(path),
          name == ".wh..wh..opq" ? std::string("whole directory")
                                 : fmt::format("\"{}\"", Clip(name.substr(4)))));
    }
    if (slash == std::string_view::npos) break;
    start = slash + 1;
  }
  return {};
}

Status CheckFileInputs(const std::vector<FileInput>& inputs, const std::string& binary_dest) {
  std::map<std::string, Owner> seen;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const std::string& label = inputs[i].label;
    for (const FileEntry& e : inputs[i].tree.SortedEntries()) {
      OCIB_RETURN_IF_ERROR(CheckImagePath(e.path, fmt::format("file input \"{}\"", label)));
      if (e.type == FileEntry::Type::kSymlink && e.link_target.size() > kMaxPathBytes) {
        return InvalidArgument(
            fmt::format("file input \"{}\": symlink /{} has a target of {} bytes; Linux allows "
                        "at most {}",
                        label, Clip(e.path), e.link_target.size(), kMaxPathBytes));
      }
      OCIB_RETURN_IF_ERROR(CheckAgainstBinary(e, label, binary_dest));
      auto [it, inserted] = seen.emplace(e.path, Owner{i, e.type});
      bool both_dirs =
          it->second.type == FileEntry::Type::kDirectory && e.type == FileEntry::Type::kDirectory;
      if (!inserted && !both_dirs) {
        return InvalidArgument(fmt::format(R"(file inputs "{}" and "{}" both put /{})",
                                           inputs[it->second.input].label, label, e.path));
      }
    }
  }
  // A file (or symlink) of one input where another puts a directory's content.
  for (const auto& [path, owner] : seen) {
    for (size_t slash = path.find('/'); slash != std::string::npos;
         slash = path.find('/', slash + 1)) {
      auto parent = seen.find(path.substr(0, slash));
      if (parent == seen.end() || parent->second.type == FileEntry::Type::kDirectory) continue;
      return InvalidArgument(fmt::format(
          "file inputs \"{}\" and \"{}\" collide: the first puts a file at /{}, the "
          "second puts /{} below it",
          inputs[parent->second.input].label, inputs[owner.input].label, parent->first, path));
    }
  }
  return {};
}

}  // namespace ocib::build
