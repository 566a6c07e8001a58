#include "lib/base/static_base.h"

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include "ocib/digest.h"

#include "static_base_pack_id.h"  // generated

// The pack made by ocib_make_base_pack at build time, linked in by .incbin.
asm(".section .rodata\n"
    ".balign 16\n"
    ".hidden ocib_base_pack_begin\n"
    ".globl ocib_base_pack_begin\n"
    "ocib_base_pack_begin:\n"
    ".incbin \"" OCIB_BASE_PACK_PATH
    "\"\n"
    ".hidden ocib_base_pack_end\n"
    ".globl ocib_base_pack_end\n"
    "ocib_base_pack_end:\n"
    ".byte 0\n"
    ".previous\n");

// The names are the symbols the assembly above defines.
// NOLINTBEGIN(readability-identifier-naming)
extern "C" const unsigned char ocib_base_pack_begin[];
extern "C" const unsigned char ocib_base_pack_end[];
// NOLINTEND(readability-identifier-naming)

namespace ocib::base {
namespace {

constexpr const char* kPasswd =
    "root:x:0:0:root:/root:/sbin/nologin\n"
    "nobody:x:65534:65534:nobody:/nonexistent:/sbin/nologin\n"
    "nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin\n";
constexpr const char* kGroup =
    "root:x:0:\n"
    "tty:x:5:\n"
    "staff:x:50:\n"
    "nonroot:x:65532:\n"
    "nobody:x:65534:\n";
constexpr const char* kNsswitch = "hosts: files dns\n";
constexpr const char* kOsRelease =
    "PRETTY_NAME=\"ocib static\"\n"
    "NAME=\"ocib static\"\n"
    "ID=ocib-static\n"
    "VERSION_ID=\"1\"\n"
    "HOME_URL=\"https://github.com/ocib/ocib\"\n";

class PackReader {
 public:
  PackReader(const unsigned char* p, const unsigned char* end) : p_(p), end_(end) {}
  bool U8(char* v) {
    if (p_ >= end_) return false;
    *v = static_cast<char>(*p_++);
    return true;
  }
  bool U32(uint32_t* v) {
    uint64_t x = 0;
    if (!Uint(4, &x)) return false;
    *v = static_cast<uint32_t>(x);
    return true;
  }
  bool U64(uint64_t* v) { return Uint(8, v); }
  bool Skip(uint64_t n) {
    if (static_cast<uint64_t>(end_ - p_) < n) return false;
    p_ += n;
    return true;
  }
  bool Bytes(uint64_t n, std::string* out) {
    if (static_cast<uint64_t>(end_ - p_) < n) return false;
    out->assign(reinterpret_cast<const char*>(p_), n);
    p_ += n;
    return true;
  }

 private:
  bool Uint(int n, uint64_t* v) {
    if (end_ - p_ < n) return false;
    *v = 0;
    for (int i = 0; i < n; ++i) *v |= static_cast<uint64_t>(p_[i]) << (8 * i);
    p_ += n;
    return true;
  }
  const unsigned char* p_;
  const unsigned char* end_;
};

// The entries made in code, before the pack's: directories have no content.
struct CodeEntry {
  const char* path;
  const char* content;  // nullptr for a directory
  uint32_t mode;
  int64_t uid;
  int64_t gid;
};
constexpr CodeEntry kCodeEntries[] = {
    {"etc", nullptr, 0755, 0, 0},
    {"etc/passwd", kPasswd, 0644, 0, 0},
    {"etc/group", kGroup, 0644, 0, 0},
    {"etc/nsswitch.conf", kNsswitch, 0644, 0, 0},
    {"etc/os-release", kOsRelease, 0644, 0, 0},
    {"etc/ssl", nullptr, 0755, 0, 0},
    {"etc/ssl/certs", nullptr, 0755, 0, 0},
    {"home", nullptr, 0755, 0, 0},
    {"home/nonroot", nullptr, 0700, 65532, 65532},
    {"root", nullptr, 0700, 0, 0},
    {"tmp", nullptr, 01777, 0, 0},
    {"usr", nullptr, 0755, 0, 0},
    {"usr/share", nullptr, 0755, 0, 0},
    {"var", nullptr, 0755, 0, 0},
};

}  // namespace

const std::string& StaticBaseContentId() {
  static const std::string kId = [] {
    Sha256Hasher h;
    auto field = [&h](std::string_view v) {
      std::string len = std::to_string(v.size()) + ":";
      h.Update(len.data(), len.size());
      h.Update(v.data(), v.size());
    };
    for (const CodeEntry& e : kCodeEntries) {
      field(e.path);
      field(e.content != nullptr ? std::string_view(e.content) : std::string_view("<dir>"));
      field(std::to_string(e.mode) + "/" + std::to_string(e.uid) + "/" + std::to_string(e.gid));
    }
    // The pack's sha256, computed when it was made (lib/base/pack_id.cmake).
    field(OCIB_BASE_PACK_SHA256);
    return "ocib-static-base:" + h.Finish().ToString();
  }();
  return kId;
}

Status AddPackRecords(std::string_view pack, FileTree& t) {
  const auto* begin = reinterpret_cast<const unsigned char*>(pack.data());
  PackReader r(begin, begin + pack.size());
  while (true) {
    char type = 0;
    if (!r.U8(&type)) return Internal("base pack is truncated");
    if (type == 0) return OkStatus();
    uint32_t mode = 0;
    uint32_t path_len = 0;
    uint32_t link_len = 0;
    uint64_t size = 0;
    std::string path;
    std::string link;
    std::string content;
    if (!r.U32(&mode) || !r.U32(&path_len) || !r.Bytes(path_len, &path) || !r.U32(&link_len) ||
        !r.Bytes(link_len, &link) || !r.U64(&size) || !r.Bytes(size, &content)) {
      return Internal("base pack is truncated");
    }
    switch (type) {
      case 'f':
        OCIB_RETURN_IF_ERROR(t.AddFile(path, std::move(content), mode));
        break;
      case 'd':
        OCIB_RETURN_IF_ERROR(t.AddDirectory(path, mode));
        break;
      case 'l':
        OCIB_RETURN_IF_ERROR(t.AddSymlink(path, std::move(link)));
        break;
      default:
        return Internal("base pack has an unknown record type");
    }
  }
}

Result<FileTree> StaticBaseTree() {
  FileTree t;
  for (const CodeEntry& e : kCodeEntries) {
    if (e.content == nullptr) {
      OCIB_RETURN_IF_ERROR(t.AddDirectory(e.path, e.mode, e.uid, e.gid));
    } else {
      OCIB_RETURN_IF_ERROR(t.AddFile(e.path, e.content, e.mode, e.uid, e.gid));
    }
  }
  const std::string_view pack(reinterpret_cast<const char*>(ocib_base_pack_begin),
                              static_cast<size_t>(ocib_base_pack_end - ocib_base_pack_begin));
  if (Status st = AddPackRecords(pack, t); !st) {
    return std::move(st).error().With("the embedded base pack");
  }
  t.SetContentId(StaticBaseContentId());
  return t;
}

const std::set<std::string>& StaticBaseDirectories() {
  static const auto* const kDirs = [] {
    auto* dirs = new std::set<std::string>;
    for (const CodeEntry& e : kCodeEntries) {
      if (e.content == nullptr) dirs->insert(e.path);
    }
    PackReader r(ocib_base_pack_begin, ocib_base_pack_end);
    char type = 0;
    while (r.U8(&type) && type != 0) {
      uint32_t mode = 0;
      uint32_t path_len = 0;
      uint32_t link_len = 0;
      uint64_t size = 0;
      std::string path;
      if (!r.U32(&mode) || !r.U32(&path_len) || !r.Bytes(path_len, &path) || !r.U32(&link_len) ||
          !r.Skip(link_len) || !r.U64(&size) || !r.Skip(size)) {
        break;  // StaticBaseTree reports a truncated pack
      }
      if (type == 'd') dirs->insert(path);
    }
    return dirs;
  }();
  return *kDirs;
}

ContainerConfig StaticBaseConfig() {
  ContainerConfig c;
  c.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"};
  c.user = "65532:65532";
  return c;
}

}  // namespace ocib::base
