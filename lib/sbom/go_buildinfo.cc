// Go build information reader: ELF section lookup, the build-info header
// (inline and pointer layouts) and the module-information text.
//
// Format notes (from the Go toolchain's documented behaviour):
// * The linker writes a 32-byte header into the `.go.buildinfo` section (or,
//   without section headers, at the start of the first writable, non-
//   executable PT_LOAD segment), aligned to 16 bytes: the 14-byte magic
//   "\xff Go buildinf:", one byte pointer size, one byte flags.
// * flags & 0x2 ("inline", Go 1.18+): the Go version and the module text
//   follow the header at offset 32, each as an unsigned LEB128 length and
//   the bytes.
// * otherwise (Go < 1.18): offset 16 holds a pointer to the version's Go
//   string header {data pointer, length}, offset 16+ptrsize a pointer to the
//   module text's; flags & 0x1 means big-endian pointers.
// * The module text is wrapped in two 16-byte sentinels; it is present only
//   if it is at least 33 bytes long and the byte before the end sentinel is
//   a newline.
#include "ocib/go_buildinfo.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdint>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "lib/io/streams.h"
#include <sys/stat.h>

namespace ocib {
namespace {

constexpr std::string_view kMagic = "\xff Go buildinf:";
constexpr size_t kHeaderSize = 32;
constexpr size_t kAlign = 16;
constexpr size_t kSearchWindow = size_t{64} << 10;
constexpr uint64_t kMaxString = uint64_t{64} << 20;
constexpr size_t kSentinelSize = 16;

constexpr uint32_t kShtNobits = 8;
constexpr uint32_t kPtLoad = 1;
constexpr uint32_t kPfX = 1;
constexpr uint32_t kPfW = 2;

// ------------------------------------------------------------ byte sources

class ByteSource {
 public:
  virtual ~ByteSource() = default;
  virtual uint64_t size() const = 0;
  // Reads exactly `n` bytes at `offset`; kInvalidArgument if the file is too
  // short ("truncated"), kIo on a read error.
  virtual Result<std::string> ReadAt(uint64_t offset, size_t n) const = 0;
};

class MemorySource final : public ByteSource {
 public:
  explicit MemorySource(std::string_view bytes) : bytes_(bytes) {}
  uint64_t size() const override { return bytes_.size(); }
  Result<std::string> ReadAt(uint64_t offset, size_t n) const override {
    if (offset > bytes_.size() || n > bytes_.size() - offset) {
      return InvalidArgument(fmt::format("truncated file (need {} bytes at offset {})", n, offset));
    }
    return std::string(bytes_.substr(offset, n));
  }

 private:
  std::string_view bytes_;
};

class FileSource final : public ByteSource {
 public:
  FileSource(int fd, uint64_t size) : fd_(fd), size_(size) {}
  ~FileSource() override { ::close(fd_); }
  FileSource(const FileSource&) = delete;
  FileSource& operator=(const FileSource&) = delete;

  uint64_t size() const override { return size_; }
  Result<std::string> ReadAt(uint64_t offset, size_t n) const override {
    if (offset > size_ || n > size_ - offset) {
      return InvalidArgument(fmt::format("truncated file (need {} bytes at offset {})", n, offset));
    }
    std::string out(n, '\0');
    size_t done = 0;
    while (done < n) {
      ssize_t got = ::pread(fd_, out.data() + done, n - done, static_cast<off_t>(offset + done));
      if (got < 0) {
        if (errno == EINTR) continue;
        return IoError(std::string("read failed: ") + io::ErrnoText(errno));
      }
      if (got == 0) return InvalidArgument("truncated file (file shrank while reading)");
      done += static_cast<size_t>(got);
    }
    return out;
  }

 private:
  int fd_;
  uint64_t size_;
};

// ------------------------------------------------------------------- ELF

uint64_t GetUint(std::string_view b, size_t pos, size_t width, bool big_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    size_t idx = big_endian ? pos + i : pos + width - 1 - i;
    v = (v << 8) | static_cast<unsigned char>(b[idx]);
  }
  return v;
}

struct ElfSection {
  uint32_t name_offset = 0;
  uint32_t type = 0;
  uint64_t addr = 0;
  uint64_t offset = 0;
  uint64_t size = 0;
  std::string name;
};

struct ElfSegment {
  uint32_t type = 0;
  uint32_t flags = 0;
  uint64_t offset = 0;
  uint64_t vaddr = 0;
  uint64_t filesz = 0;
};

struct ElfFile {
  bool is64 = false;
  bool big_endian = false;
  std::vector<ElfSection> sections;
  std::vector<ElfSegment> segments;
};

// Checks the ELF identification bytes; an ElfFile with the class and byte order set.
Result<ElfFile> ReadElfIdent(const ByteSource& src) {
  if (src.size() < 16) return InvalidArgument("not an ELF file (too short)");
  OCIB_ASSIGN_OR_RETURN(std::string ident, src.ReadAt(0, 16));
  if (ident.compare(0, 4, "\177ELF") != 0) {
    return InvalidArgument("not an ELF file (bad magic)");
  }
  ElfFile elf;
  if (ident[4] == 1) {
    elf.is64 = false;
  } else if (ident[4] == 2) {
    elf.is64 = true;
  } else {
    return InvalidArgument(
        fmt::format("not a valid ELF file (unknown class {})", static_cast<int>(ident[4])));
  }
  if (ident[5] == 1) {
    elf.big_endian = false;
  } else if (ident[5] == 2) {
    elf.big_endian = true;
  } else {
    return InvalidArgument(
        fmt::format("not a valid ELF file (unknown byte order {})", static_cast<int>(ident[5])));
  }
  return elf;
}

// The fields of the ELF file header that locate the program and section headers.
struct ElfHeader {
  uint64_t phoff = 0;
  uint64_t shoff = 0;
  size_t phentsize = 0;
  size_t phnum = 0;
  size_t shentsize = 0;
  size_t shnum = 0;
  size_t shstrndx = 0;
};

// Reads the ELF file header of `elf`'s class and byte order.
Result<ElfHeader> ReadElfHeader(const ByteSource& src, const ElfFile& elf) {
  const bool be = elf.big_endian;
  const size_t ehsize = elf.is64 ? 64 : 52;
  if (src.size() < ehsize) return InvalidArgument("not a valid ELF file (truncated header)");
  OCIB_ASSIGN_OR_RETURN(std::string eh, src.ReadAt(0, ehsize));

  ElfHeader h;
  if (elf.is64) {
    h.phoff = GetUint(eh, 0x20, 8, be);
    h.shoff = GetUint(eh, 0x28, 8, be);
    h.phentsize = GetUint(eh, 0x36, 2, be);
    h.phnum = GetUint(eh, 0x38, 2, be);
    h.shentsize = GetUint(eh, 0x3A, 2, be);
    h.shnum = GetUint(eh, 0x3C, 2, be);
    h.shstrndx = GetUint(eh, 0x3E, 2, be);
  } else {
    h.phoff = GetUint(eh, 0x1C, 4, be);
    h.shoff = GetUint(eh, 0x20, 4, be);
    h.phentsize = GetUint(eh, 0x2A, 2, be);
    h.phnum = GetUint(eh, 0x2C, 2, be);
    h.shentsize = GetUint(eh, 0x2E, 2, be);
    h.shnum = GetUint(eh, 0x30, 2, be);
    h.shstrndx = GetUint(eh, 0x32, 2, be);
  }
  return h;
}

// Reads the program headers into `elf->segments`.
Status ReadElfSegments(const ByteSource& src, const ElfHeader& h, ElfFile* elf) {
  const bool be = elf->big_endian;
  const size_t want_ph = elf->is64 ? 0x38 : 0x20;
  if (h.phentsize < want_ph) return InvalidArgument("not a valid ELF file (bad e_phentsize)");
  OCIB_ASSIGN_OR_RETURN(std::string ph, src.ReadAt(h.phoff, h.phentsize * h.phnum));
  for (size_t i = 0; i < h.phnum; ++i) {
    size_t p = i * h.phentsize;
    ElfSegment seg;
    seg.type = static_cast<uint32_t>(GetUint(ph, p, 4, be));
    if (elf->is64) {
      seg.flags = static_cast<uint32_t>(GetUint(ph, p + 4, 4, be));
      seg.offset = GetUint(ph, p + 8, 8, be);
      seg.vaddr = GetUint(ph, p + 0x10, 8, be);
      seg.filesz = GetUint(ph, p + 0x20, 8, be);
    } else {
      seg.offset = GetUint(ph, p + 4, 4, be);
      seg.vaddr = GetUint(ph, p + 8, 4, be);
      seg.filesz = GetUint(ph, p + 0x10, 4, be);
      seg.flags = static_cast<uint32_t>(GetUint(ph, p + 0x18, 4, be));
    }
    elf->segments.push_back(seg);
  }
  return {};
}

// Applies the extended numbering of section 0 when the section count or the string-table index
// does not fit in 16 bits.
Status ReadElfExtendedNumbering(const ByteSource& src, const ElfFile& elf, ElfHeader* h) {
  if (h->shnum != 0 && h->shstrndx != 0xffff) return {};
  const bool be = elf.big_endian;
  OCIB_ASSIGN_OR_RETURN(std::string s0, src.ReadAt(h->shoff, h->shentsize));
  if (h->shnum == 0) {
    h->shnum = (elf.is64 ? GetUint(s0, 0x20, 8, be) : GetUint(s0, 0x14, 4, be));
  }
  if (h->shstrndx == 0xffff) {
    h->shstrndx = GetUint(s0, elf.is64 ? 0x28 : 0x18, 4, be);
  }
  return {};
}

// Names the sections from the section name table `shstrndx`, when there is one.
Status ReadElfSectionNames(const ByteSource& src, size_t shstrndx, ElfFile* elf) {
  if (shstrndx >= elf->sections.size() || elf->sections[shstrndx].type == kShtNobits) return {};
  const ElfSection& strtab = elf->sections[shstrndx];
  if (strtab.size > kMaxString) {
    return InvalidArgument("not a valid ELF file (section name table too large)");
  }
  OCIB_ASSIGN_OR_RETURN(std::string names, src.ReadAt(strtab.offset, strtab.size));
  for (ElfSection& sec : elf->sections) {
    if (sec.name_offset < names.size()) {
      sec.name = std::string(names.c_str() + sec.name_offset);
    }
  }
  return {};
}

// Reads the section headers, and the section names, into `elf->sections`.
Status ReadElfSections(const ByteSource& src, ElfHeader h, ElfFile* elf) {
  const bool be = elf->big_endian;
  const size_t want_sh = elf->is64 ? 0x40 : 0x28;
  if (h.shentsize < want_sh) return InvalidArgument("not a valid ELF file (bad e_shentsize)");
  OCIB_RETURN_IF_ERROR(ReadElfExtendedNumbering(src, *elf, &h));
  if (h.shnum > (size_t{1} << 20)) {
    return InvalidArgument("not a valid ELF file (too many sections)");
  }
  OCIB_ASSIGN_OR_RETURN(std::string sh, src.ReadAt(h.shoff, h.shentsize * h.shnum));
  for (size_t i = 0; i < h.shnum; ++i) {
    size_t p = i * h.shentsize;
    ElfSection sec;
    sec.name_offset = static_cast<uint32_t>(GetUint(sh, p, 4, be));
    sec.type = static_cast<uint32_t>(GetUint(sh, p + 4, 4, be));
    if (elf->is64) {
      sec.addr = GetUint(sh, p + 0x10, 8, be);
      sec.offset = GetUint(sh, p + 0x18, 8, be);
      sec.size = GetUint(sh, p + 0x20, 8, be);
    } else {
      sec.addr = GetUint(sh, p + 0x0C, 4, be);
      sec.offset = GetUint(sh, p + 0x10, 4, be);
      sec.size = GetUint(sh, p + 0x14, 4, be);
    }
    elf->sections.push_back(sec);
  }
  return ReadElfSectionNames(src, h.shstrndx, elf);
}

Result<ElfFile> ReadElf(const ByteSource& src) {
  OCIB_ASSIGN_OR_RETURN(ElfFile elf, ReadElfIdent(src));
  OCIB_ASSIGN_OR_RETURN(ElfHeader h, ReadElfHeader(src, elf));
  if (h.phoff != 0 && h.phnum != 0) OCIB_RETURN_IF_ERROR(ReadElfSegments(src, h, &elf));
  if (h.shoff != 0) OCIB_RETURN_IF_ERROR(ReadElfSections(src, h, &elf));
  return elf;
}

// A file range that may hold the build-info header.
struct Region {
  uint64_t offset = 0;
  uint64_t size = 0;
};

// Maps a virtual address range to a file offset through the PT_LOAD segments.
Result<uint64_t> AddrToOffset(const ElfFile& elf, uint64_t addr, uint64_t n) {
  for (const ElfSegment& seg : elf.segments) {
    if (seg.type != kPtLoad) continue;
    if (addr >= seg.vaddr && addr - seg.vaddr <= seg.filesz &&
        n <= seg.filesz - (addr - seg.vaddr)) {
      return seg.offset + (addr - seg.vaddr);
    }
  }
  return InvalidArgument(
      fmt::format("malformed Go build information (address {} is not in a loaded segment)", addr));
}

// Reads a Go string {data pointer, length} whose header is at `addr`.
Result<std::string> ReadGoStringAt(const ByteSource& src, const ElfFile& elf, uint64_t addr,
                                   size_t ptr_size, bool big_endian) {
  OCIB_ASSIGN_OR_RETURN(uint64_t hoff, AddrToOffset(elf, addr, 2 * ptr_size));
  OCIB_ASSIGN_OR_RETURN(std::string hdr, src.ReadAt(hoff, 2 * ptr_size));
  uint64_t data = GetUint(hdr, 0, ptr_size, big_endian);
  uint64_t len = GetUint(hdr, ptr_size, ptr_size, big_endian);
  if (len == 0) return std::string();
  if (len > kMaxString) return InvalidArgument("malformed Go build information (string too long)");
  OCIB_ASSIGN_OR_RETURN(uint64_t doff, AddrToOffset(elf, data, len));
  return src.ReadAt(doff, len);
}

// Reads an unsigned LEB128 length and that many bytes at `*pos`, not beyond `end`.
Result<std::string> ReadVarintString(const ByteSource& src, uint64_t* pos, uint64_t end) {
  uint64_t len = 0;
  unsigned shift = 0;
  for (;;) {
    if (*pos >= end || shift > 63) {
      return InvalidArgument("malformed Go build information (bad length)");
    }
    OCIB_ASSIGN_OR_RETURN(std::string b, src.ReadAt(*pos, 1));
    ++*pos;
    auto byte = static_cast<unsigned char>(b[0]);
    len |= static_cast<uint64_t>(byte & 0x7f) << shift;
    if ((byte & 0x80) == 0) break;
    shift += 7;
  }
  if (len > kMaxString || len > end - *pos) {
    return InvalidArgument("malformed Go build information (string runs past its section)");
  }
  OCIB_ASSIGN_OR_RETURN(std::string s, src.ReadAt(*pos, len));
  *pos += len;
  return s;
}

// Removes the module-text sentinels; returns "" when the text is absent.
std::string StripSentinels(const std::string& mod) {
  if (mod.size() >= 2 * kSentinelSize + 1 && mod[mod.size() - kSentinelSize - 1] == '\n') {
    return mod.substr(kSentinelSize, mod.size() - 2 * kSentinelSize);
  }
  return {};
}

Result<GoBuildInfo> ReadFromSource(const ByteSource& src) {
  OCIB_ASSIGN_OR_RETURN(ElfFile elf, ReadElf(src));

  std::optional<Region> region;
  for (const ElfSection& sec : elf.sections) {
    if (sec.name == ".go.buildinfo" && sec.type != kShtNobits) {
      region = Region{sec.offset, sec.size};
      break;
    }
  }
  if (!region) {
    for (const ElfSegment& seg : elf.segments) {
      if (seg.type == kPtLoad && (seg.flags & (kPfX | kPfW)) == kPfW) {
        region = Region{seg.offset, seg.filesz};
        break;
      }
    }
  }
  if (!region) {
    return InvalidArgument("not a Go binary: no .go.buildinfo section or data segment");
  }
  if (region->offset > src.size() || region->size > src.size() - region->offset) {
    return InvalidArgument("not a valid ELF file (build-info section runs past the end)");
  }
  const uint64_t end = region->offset + region->size;
  size_t window = std::min<uint64_t>(region->size, kSearchWindow);
  OCIB_ASSIGN_OR_RETURN(std::string data, src.ReadAt(region->offset, window));

  size_t at = std::string::npos;
  for (size_t i = 0; i + kHeaderSize <= data.size(); i += kAlign) {
    if (data.compare(i, kMagic.size(), kMagic) == 0) {
      at = i;
      break;
    }
  }
  if (at == std::string::npos) {
    return InvalidArgument(
        R"(not a Go binary: no Go build information (magic "\xff Go buildinf:" not found))");
  }
  const std::string_view hdr = static_cast<std::string_view>(data).substr(at, kHeaderSize);
  const auto ptr_size = static_cast<size_t>(static_cast<unsigned char>(hdr[14]));
  const auto flags = static_cast<unsigned char>(hdr[15]);

  std::string version;
  std::string mod;
  if ((flags & 0x2) != 0) {
    uint64_t pos = region->offset + at + kHeaderSize;
    OCIB_ASSIGN_OR_RETURN(version, ReadVarintString(src, &pos, end));
    OCIB_ASSIGN_OR_RETURN(mod, ReadVarintString(src, &pos, end));
  } else {
    if (ptr_size != 4 && ptr_size != 8) {
      return Error(ErrorCode::kUnimplemented,
                   fmt::format("unsupported Go build-info header (pointer size {}, flags 0x{})",
                               ptr_size, static_cast<int>(flags)));
    }
    const bool be = (flags & 0x1) != 0;
    uint64_t vers_ptr = GetUint(hdr, 16, ptr_size, be);
    uint64_t mod_ptr = GetUint(hdr, 16 + ptr_size, ptr_size, be);
    OCIB_ASSIGN_OR_RETURN(version, ReadGoStringAt(src, elf, vers_ptr, ptr_size, be));
    OCIB_ASSIGN_OR_RETURN(mod, ReadGoStringAt(src, elf, mod_ptr, ptr_size, be));
  }
  if (version.empty()) {
    return InvalidArgument("not a Go binary: the build information has no Go version");
  }
  OCIB_ASSIGN_OR_RETURN(GoBuildInfo info, ParseGoModInfo(StripSentinels(mod)));
  info.go_version = std::move(version);
  return info;
}

// ------------------------------------------------------------ Go quoting

void AppendUtf8(std::string* out, uint32_t r) {
  if (r < 0x80) {
    out->push_back(static_cast<char>(r));
  } else if (r < 0x800) {
    out->push_back(static_cast<char>(0xC0 | (r >> 6)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else if (r < 0x10000) {
    out->push_back(static_cast<char>(0xE0 | (r >> 12)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  } else {
    out->push_back(static_cast<char>(0xF0 | (r >> 18)));
    out->push_back(static_cast<char>(0x80 | ((r >> 12) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | ((r >> 6) & 0x3F)));
    out->push_back(static_cast<char>(0x80 | (r & 0x3F)));
  }
}

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

// Length of the Go quoted string ("..." or `...`) at the start of `s`, or
// npos if it is not terminated.
size_t QuotedPrefixLength(std::string_view s) {
  if (s.empty()) return std::string_view::npos;
  if (s[0] == '`') {
    size_t close = s.find('`', 1);
    return close == std::string_view::npos ? close : close + 1;
  }
  for (size_t i = 1; i < s.size(); ++i) {
    if (s[i] == '\\') {
      ++i;
    } else if (s[i] == '"') {
      return i + 1;
    } else if (s[i] == '\n') {
      break;
    }
  }
  return std::string_view::npos;
}

// The character a one-letter Go escape (\n, \t, \", ...) stands for; nullopt for other letters.
std::optional<char> SimpleEscape(char e) {
  switch (e) {
    case 'a':
      return '\a';
    case 'b':
      return '\b';
    case 'f':
      return '\f';
    case 'n':
      return '\n';
    case 'r':
      return '\r';
    case 't':
      return '\t';
    case 'v':
      return '\v';
    case '\\':
      return '\\';
    case '"':
      return '"';
    case '\'':
      return '\'';
    default:
      return std::nullopt;
  }
}

// Decodes the \x, \u or \U escape whose letter is at `body[*i]`, leaving `*i` at its last digit;
// false if it is malformed.
bool AppendHexEscape(std::string_view body, size_t* i, std::string* out) {
  const char e = body[*i];
  size_t n = e == 'x' ? 2 : (e == 'u' ? 4 : 8);
  if (*i + n >= body.size()) return false;
  uint32_t v = 0;
  for (size_t k = 1; k <= n; ++k) {
    int h = HexValue(body[*i + k]);
    if (h < 0) return false;
    v = (v << 4) | static_cast<uint32_t>(h);
  }
  *i += n;
  if (e == 'x') {
    out->push_back(static_cast<char>(v));
  } else {
    if (v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF)) return false;
    AppendUtf8(out, v);
  }
  return true;
}

// Decodes the three-digit octal escape starting at `body[*i]`, leaving `*i` at its last digit;
// false if it is malformed.
bool AppendOctalEscape(std::string_view body, size_t* i, std::string* out) {
  if (*i + 2 >= body.size()) return false;
  uint32_t v = 0;
  for (size_t k = 0; k < 3; ++k) {
    char d = body[*i + k];
    if (d < '0' || d > '7') return false;
    v = v * 8 + static_cast<uint32_t>(d - '0');
  }
  if (v > 255) return false;
  *i += 2;
  out->push_back(static_cast<char>(v));
  return true;
}

// Unquotes the body of a "..." Go string literal; nullopt if it is malformed.
std::optional<std::string> UnquoteInterpreted(std::string_view body) {
  std::string out;
  for (size_t i = 0; i < body.size(); ++i) {
    char c = body[i];
    if (c == '"' || c == '\n') return std::nullopt;
    if (c != '\\') {
      out.push_back(c);
      continue;
    }
    if (++i >= body.size()) return std::nullopt;
    char e = body[i];
    if (std::optional<char> simple = SimpleEscape(e)) {
      out.push_back(*simple);
    } else if (e == 'x' || e == 'u' || e == 'U') {
      if (!AppendHexEscape(body, &i, &out)) return std::nullopt;
    } else if (e >= '0' && e <= '7') {
      if (!AppendOctalEscape(body, &i, &out)) return std::nullopt;
    } else {
      return std::nullopt;
    }
  }
  return out;
}

// Unquotes a whole Go string literal ("..." with escapes, or `raw`).
Result<std::string> GoUnquote(std::string_view q) {
  auto bad = [&] {
    return InvalidArgument(fmt::format("bad Go quoted string {}", std::string(q)));
  };
  if (q.size() < 2 || q.front() != q.back() || (q.front() != '"' && q.front() != '`')) {
    return bad();
  }
  std::string_view body = q.substr(1, q.size() - 2);
  if (q.front() == '`') {
    if (body.find('`') != std::string_view::npos) return bad();
    return std::string(body);
  }
  std::optional<std::string> out = UnquoteInterpreted(body);
  if (!out) return bad();
  return std::move(*out);
}

// Quotes like Go's strconv.Quote for ASCII; bytes >= 0x80 are kept as is.
std::string GoQuote(std::string_view s) {
  std::string out = "\"";
  for (char c : s) {
    switch (c) {
      case '\a':
        out += "\\a";
        break;
      case '\b':
        out += "\\b";
        break;
      case '\f':
        out += "\\f";
        break;
      case '\n':
        out += "\\n";
        break;
      case '\r':
        out += "\\r";
        break;
      case '\t':
        out += "\\t";
        break;
      case '\v':
        out += "\\v";
        break;
      case '\\':
        out += "\\\\";
        break;
      case '"':
        out += "\\\"";
        break;
      default: {
        auto u = static_cast<unsigned char>(c);
        if (u < 0x20 || u == 0x7f) {
          static constexpr char kHex[] = "0123456789abcdef";
          out += "\\x";
          out.push_back(kHex[u >> 4]);
          out.push_back(kHex[u & 0xf]);
        } else {
          out.push_back(c);
        }
      }
    }
  }
  out += "\"";
  return out;
}

std::vector<std::string_view> SplitTabs(std::string_view s) {
  std::vector<std::string_view> parts;
  size_t start = 0;
  for (;;) {
    size_t tab = s.find('\t', start);
    if (tab == std::string_view::npos) {
      parts.push_back(s.substr(start));
      return parts;
    }
    parts.push_back(s.substr(start, tab - start));
    start = tab + 1;
  }
}

void FormatModule(std::string* out, std::string_view word, const GoModule& m) {
  *out += word;
  *out += '\t';
  *out += m.path;
  *out += '\t';
  *out += m.version;
  *out += '\t';
  *out += m.sum;
  *out += '\n';
}

}  // namespace

// ----------------------------------------------------------------- public

std::optional<std::string> GoBuildInfo::FindSetting(std::string_view key) const {
  for (const auto& [k, v] : settings) {
    if (k == key) return v;
  }
  return std::nullopt;
}

std::string GoBuildInfo::ToString() const {
  std::string out;
  if (!go_version.empty()) out += "go\t" + go_version + "\n";
  if (!path.empty()) out += "path\t" + path + "\n";
  if (main != GoModule{}) FormatModule(&out, "mod", main);
  for (const GoDependency& d : deps) {
    if (d.replace) {
      out += "dep\t" + d.path + "\t" + d.version + "\n";
      FormatModule(&out, "=>", *d.replace);
      out += '\n';  // the toolchain's formatter ends a replaced dep with an empty line
    } else {
      FormatModule(&out, "dep", GoModule{d.path, d.version, d.sum});
    }
  }
  for (const auto& [key, value] : settings) {
    bool quote_key = key.empty() || key.find_first_of("= \t\r\n\"`") != std::string::npos;
    bool quote_value = value.find_first_of(" \t\r\n\"`") != std::string::npos;
    out += "build\t";
    out += quote_key ? GoQuote(key) : key;
    out += '=';
    out += quote_value ? GoQuote(value) : value;
    out += '\n';
  }
  return out;
}

Result<GoBuildInfo> ParseGoModInfo(std::string_view text) {
  GoBuildInfo info;
  size_t line_no = 0;
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view line =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    start = nl == std::string_view::npos ? text.size() : nl + 1;
    ++line_no;
    auto bad = [&](std::string_view why) {
      return InvalidArgument(
          fmt::format("malformed Go module information, line {} ({}): \"{}\"", line_no, why, line));
    };
    if (line.empty()) continue;
    size_t tab = line.find('\t');
    if (tab == std::string_view::npos) continue;  // not a known kind of line
    std::string_view word = line.substr(0, tab);
    std::string_view rest = line.substr(tab + 1);

    if (word == "go") {
      info.go_version = std::string(rest);
    } else if (word == "path") {
      info.path = std::string(rest);
    } else if (word == "mod" || word == "dep" || word == "=>") {
      std::vector<std::string_view> f = SplitTabs(rest);
      if (f.size() < 2 || f.size() > 3 || f[0].empty()) return bad("want PATH, VERSION[, SUM]");
      GoModule m{std::string(f[0]), std::string(f[1]), f.size() == 3 ? std::string(f[2]) : ""};
      if (word == "mod") {
        info.main = std::move(m);
      } else if (word == "dep") {
        info.deps.push_back(
            GoDependency{std::move(m.path), std::move(m.version), std::move(m.sum), std::nullopt});
      } else {
        if (info.deps.empty() || info.deps.back().replace) {
          return bad("replacement without a preceding dep line");
        }
        info.deps.back().replace = std::move(m);
      }
    } else if (word == "build") {
      if (rest.empty()) return bad("missing '='");
      std::string key;
      std::string_view raw_value;
      if (rest[0] == '=') return bad("missing key");
      if (rest[0] == '"' || rest[0] == '`') {
        size_t n = QuotedPrefixLength(rest);
        if (n == std::string_view::npos) return bad("unterminated quoted key");
        auto k = GoUnquote(rest.substr(0, n));
        if (!k) return bad("bad quoted key");
        key = std::move(*k);
        if (n >= rest.size() || rest[n] != '=') return bad("missing '=' after key");
        raw_value = rest.substr(n + 1);
      } else {
        size_t eq = rest.find('=');
        if (eq == std::string_view::npos) return bad("missing '='");
        key = std::string(rest.substr(0, eq));
        raw_value = rest.substr(eq + 1);
      }
      std::string value;
      if (!raw_value.empty() && (raw_value[0] == '"' || raw_value[0] == '`')) {
        auto v = GoUnquote(raw_value);
        if (!v) return bad("bad quoted value");
        value = std::move(*v);
      } else {
        value = std::string(raw_value);
      }
      info.settings.emplace_back(std::move(key), std::move(value));
    }
    // Other words: newer toolchains may add kinds of lines; ignore them.
  }
  return info;
}

Result<GoBuildInfo> ParseGoBuildInfoFromElf(std::string_view elf_bytes, std::string_view name) {
  MemorySource src(elf_bytes);
  auto info = ReadFromSource(src);
  if (!info) {
    return std::move(info).error().With(
        fmt::format("reading Go build information of {}", std::string(name)));
  }
  return info;
}

Result<GoBuildInfo> ReadGoBuildInfo(const std::string& path) {
  const std::string what = "reading Go build information of " + path;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    int err = errno;
    Error e(err == ENOENT ? ErrorCode::kNotFound : ErrorCode::kIo,
            std::string("cannot open: ") + io::ErrnoText(err));
    return std::move(e).With(what);
  }
  struct stat st {};
  if (::fstat(fd, &st) != 0) {
    int err = errno;
    ::close(fd);
    return IoError(std::string("cannot stat: ") + io::ErrnoText(err)).With(what);
  }
  if (!S_ISREG(st.st_mode)) {
    ::close(fd);
    return InvalidArgument("not a regular file").With(what);
  }
  FileSource src(fd, static_cast<uint64_t>(st.st_size));
  auto info = ReadFromSource(src);
  if (!info) return std::move(info).error().With(what);
  return info;
}

}  // namespace ocib
