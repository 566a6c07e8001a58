// Tiny ELF files for tests: headers for the binary platform checks, and
// synthetic Go binaries for the build-info reader.
#ifndef OCIB_TEST_TESTING_ELF_HEADER_H_
#define OCIB_TEST_TESTING_ELF_HEADER_H_

#include <cstdint>
#include <string>

namespace ocib::testing {

// An ELF file header (64 bytes, padded with zeros to `total` bytes) of
// `bits` (32/64), byte order, e_machine, e_flags and EI_OSABI.
inline std::string ElfHeaderBytes(int bits, bool big_endian, uint16_t machine, uint32_t flags = 0,
                                  uint8_t os_abi = 0, size_t total = 128) {
  std::string h(total < 64 ? 64 : total, '\0');
  h[0] = '\x7f';
  h[1] = 'E';
  h[2] = 'L';
  h[3] = 'F';
  h[4] = static_cast<char>(bits == 32 ? 1 : 2);
  h[5] = static_cast<char>(big_endian ? 2 : 1);
  h[6] = 1;
  h[7] = static_cast<char>(os_abi);
  auto put = [&](size_t at, uint64_t v, size_t width) {
    for (size_t i = 0; i < width; ++i) {
      size_t idx = big_endian ? at + width - 1 - i : at + i;
      h[idx] = static_cast<char>((v >> (8 * i)) & 0xff);
    }
  };
  put(16, 2, 2);  // ET_EXEC
  put(18, machine, 2);
  put(20, 1, 4);  // e_version
  const size_t word = bits == 32 ? 4 : 8;
  put(24 + 3 * word, flags, 4);
  return h;
}

// e_machine values.
inline constexpr uint16_t kEm386 = 3;
inline constexpr uint16_t kEmPpc64 = 21;
inline constexpr uint16_t kEmS390 = 22;
inline constexpr uint16_t kEmArm = 40;
inline constexpr uint16_t kEmX8664 = 62;
inline constexpr uint16_t kEmAarch64 = 183;
inline constexpr uint16_t kEmRiscv = 243;

// A minimal header for a Go-style static executable of `platform`'s
// architecture (linux/amd64, linux/arm64, linux/arm[/vN], linux/386,
// linux/ppc64le, linux/s390x, linux/riscv64).
inline std::string ElfFor(const std::string& arch) {
  if (arch == "amd64") return ElfHeaderBytes(64, false, kEmX8664);
  if (arch == "arm64") return ElfHeaderBytes(64, false, kEmAarch64);
  if (arch == "arm") return ElfHeaderBytes(32, false, kEmArm, 0x05000400);
  if (arch == "386") return ElfHeaderBytes(32, false, kEm386);
  if (arch == "ppc64le") return ElfHeaderBytes(64, false, kEmPpc64);
  if (arch == "s390x") return ElfHeaderBytes(64, true, kEmS390);
  if (arch == "riscv64") return ElfHeaderBytes(64, false, kEmRiscv);
  return "not elf";
}

// Writes `v` as `width` bytes at `pos` of `*b` (grown when needed).
inline void PutInt(std::string* b, size_t pos, size_t width, uint64_t v, bool big_endian) {
  if (b->size() < pos + width) b->resize(pos + width, '\0');
  for (size_t i = 0; i < width; ++i) {
    size_t shift = 8 * (big_endian ? width - 1 - i : i);
    (*b)[pos + i] = static_cast<char>((v >> shift) & 0xff);
  }
}

inline const std::string kGoModStartSentinel(
    "0w\xaf\x0c\x92t\x08\x02"
    "A\xe1\xc1\x07\xe6\xd6\x18\xe6",
    16);
inline const std::string kGoModEndSentinel(
    "\xf9"
    "2C1\x86\x18 r\x00\x82"
    "B\x10"
    "A\x16\xd8\xf2",
    16);

// A Go binary as ocib's build-info reader sees it: an ELF file with one
// writable PT_LOAD segment and no section headers, holding a build-info
// header at file offset 256 in the given layout (inline: Go 1.18+; else
// pointers to the version and module strings), `modtext` as `go version -m`
// prints it between the module sentinels.
inline std::string MakeGoElf(bool is64, bool big_endian, bool inline_format,
                             const std::string& version, const std::string& modtext) {
  const uint64_t base = 0x400000;
  const size_t ps = is64 ? 8 : 4;
  const std::string mod = modtext.empty() ? "" : kGoModStartSentinel + modtext + kGoModEndSentinel;
  std::string b(256, '\0');
  b[0] = '\x7f';
  b[1] = 'E';
  b[2] = 'L';
  b[3] = 'F';
  b[4] = is64 ? 2 : 1;
  b[5] = big_endian ? 2 : 1;
  b[6] = 1;
  const bool be = big_endian;
  PutInt(&b, 16, 2, 2, be);  // ET_EXEC
  PutInt(&b, 20, 4, 1, be);
  const size_t ehsize = is64 ? 64 : 52;
  const size_t phentsize = is64 ? 56 : 32;
  if (is64) {
    PutInt(&b, 0x20, 8, ehsize, be);
    PutInt(&b, 0x34, 2, ehsize, be);
    PutInt(&b, 0x36, 2, phentsize, be);
    PutInt(&b, 0x38, 2, 1, be);
    PutInt(&b, 0x3A, 2, 64, be);
  } else {
    PutInt(&b, 0x1C, 4, ehsize, be);
    PutInt(&b, 0x28, 2, ehsize, be);
    PutInt(&b, 0x2A, 2, phentsize, be);
    PutInt(&b, 0x2C, 2, 1, be);
    PutInt(&b, 0x2E, 2, 40, be);
  }
  // Build-info header.
  const size_t hdr = 256;
  b.resize(hdr + 32, '\0');
  b.replace(hdr, 14, "\xff Go buildinf:");
  b[hdr + 14] = static_cast<char>(ps);
  b[hdr + 15] = static_cast<char>(inline_format ? 2 : (big_endian ? 1 : 0));
  if (inline_format) {
    for (const std::string* s : {&version, &mod}) {
      uint64_t n = s->size();
      do {
        auto byte = static_cast<unsigned char>(n & 0x7f);
        n >>= 7;
        if (n != 0) byte = static_cast<unsigned char>(byte | 0x80);
        b.push_back(static_cast<char>(byte));
      } while (n != 0);
      b += *s;
    }
  } else {
    const size_t vhdr = hdr + 32;
    const size_t mhdr = vhdr + 2 * ps;
    const size_t data = mhdr + 2 * ps;
    PutInt(&b, hdr + 16, ps, base + vhdr, be);
    PutInt(&b, hdr + 16 + ps, ps, base + mhdr, be);
    PutInt(&b, vhdr, ps, base + data, be);
    PutInt(&b, vhdr + ps, ps, version.size(), be);
    PutInt(&b, mhdr, ps, base + data + version.size(), be);
    PutInt(&b, mhdr + ps, ps, mod.size(), be);
    b.resize(data);
    b += version;
    b += mod;
  }
  // The one PT_LOAD (read + write) covering the whole file.
  const size_t ph = ehsize;
  PutInt(&b, ph, 4, 1, be);
  if (is64) {
    PutInt(&b, ph + 4, 4, 6, be);
    PutInt(&b, ph + 8, 8, 0, be);
    PutInt(&b, ph + 0x10, 8, base, be);
    PutInt(&b, ph + 0x18, 8, base, be);
    PutInt(&b, ph + 0x20, 8, b.size(), be);
    PutInt(&b, ph + 0x28, 8, b.size(), be);
  } else {
    PutInt(&b, ph + 4, 4, 0, be);
    PutInt(&b, ph + 8, 4, base, be);
    PutInt(&b, ph + 0xC, 4, base, be);
    PutInt(&b, ph + 0x10, 4, b.size(), be);
    PutInt(&b, ph + 0x14, 4, b.size(), be);
    PutInt(&b, ph + 0x18, 4, 6, be);
  }
  return b;
}

}  // namespace ocib::testing

#endif  // OCIB_TEST_TESTING_ELF_HEADER_H_
