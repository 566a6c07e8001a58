#include "lib/base/static_base.h"

#include <cstdint>
#include <cstring>
#include <string>

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

}  // namespace

Result<FileTree> StaticBaseTree() {
  FileTree t;
  OCIB_RETURN_IF_ERROR(t.AddDirectory("etc", 0755));
  OCIB_RETURN_IF_ERROR(t.AddFile("etc/passwd", kPasswd, 0644));
  OCIB_RETURN_IF_ERROR(t.AddFile("etc/group", kGroup, 0644));
  OCIB_RETURN_IF_ERROR(t.AddFile("etc/nsswitch.conf", kNsswitch, 0644));
  OCIB_RETURN_IF_ERROR(t.AddFile("etc/os-release", kOsRelease, 0644));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("etc/ssl", 0755));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("etc/ssl/certs", 0755));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("home", 0755));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("home/nonroot", 0700, 65532, 65532));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("root", 0700));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("tmp", 01777));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("usr", 0755));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("usr/share", 0755));
  OCIB_RETURN_IF_ERROR(t.AddDirectory("var", 0755));
  PackReader r(ocib_base_pack_begin, ocib_base_pack_end);
  while (true) {
    char type = 0;
    if (!r.U8(&type)) return Internal("embedded base pack is truncated");
    if (type == 0) break;
    uint32_t mode = 0;
    uint32_t path_len = 0;
    uint32_t link_len = 0;
    uint64_t size = 0;
    std::string path;
    std::string link;
    std::string content;
    if (!r.U32(&mode) || !r.U32(&path_len) || !r.Bytes(path_len, &path) || !r.U32(&link_len) ||
        !r.Bytes(link_len, &link) || !r.U64(&size) || !r.Bytes(size, &content)) {
      return Internal("embedded base pack is truncated");
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
        return Internal("embedded base pack has an unknown record type");
    }
  }
  return t;
}

ContainerConfig StaticBaseConfig() {
  ContainerConfig c;
  c.env = {"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
           "SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt"};
  c.user = "65532:65532";
  return c;
}

}  // namespace ocib::base
