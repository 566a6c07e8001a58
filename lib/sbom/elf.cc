#include "lib/sbom/elf.h"

#include <algorithm>
#include <array>

#include <fmt/format.h>

namespace ocib::elf {
namespace {

// e_machine values (ELF gABI and processor supplements).
constexpr uint16_t kEm386 = 3;
constexpr uint16_t kEmMips = 8;
constexpr uint16_t kEmPpc64 = 21;
constexpr uint16_t kEmS390 = 22;
constexpr uint16_t kEmArm = 40;
constexpr uint16_t kEmX8664 = 62;
constexpr uint16_t kEmAarch64 = 183;
constexpr uint16_t kEmRiscv = 243;
constexpr uint16_t kEmLoongarch = 258;

// EI_OSABI values.
constexpr uint8_t kOsAbiSysv = 0;
constexpr uint8_t kOsAbiGnu = 3;

// ARM e_flags (ARM ELF ABI): the EABI version in the top byte, and the
// hard-float ABI bit of EABI version 5.
constexpr uint32_t kArmEabiMask = 0xFF000000;
constexpr uint32_t kArmEabiVer5 = 0x05000000;
constexpr uint32_t kArmAbiFloatHard = 0x400;

uint64_t Uint(std::string_view b, size_t pos, size_t width, bool big_endian) {
  uint64_t v = 0;
  for (size_t i = 0; i < width; ++i) {
    size_t idx = big_endian ? pos + i : pos + width - 1 - i;
    v = (v << 8) | static_cast<unsigned char>(b[idx]);
  }
  return v;
}

std::string Describe(const ElfHeader& h) {
  std::string arch = ElfArchitecture(h);
  return fmt::format("an ELF {}-bit {}-endian {} executable", h.bits,
                     h.big_endian ? "big" : "little",
                     arch.empty() ? fmt::format("machine {}", h.machine) : arch);
}

constexpr std::array<std::string_view, 5> kNonElfOs{"windows", "darwin", "ios", "aix", "plan9"};

}  // namespace

bool HasElfMagic(std::string_view bytes) {
  return bytes.size() >= 4 && bytes.substr(0, 4) == std::string_view("\177ELF", 4);
}

Result<ElfHeader> ParseElfHeader(std::string_view bytes) {
  if (!HasElfMagic(bytes)) return InvalidArgument("not an ELF file (no ELF magic)");
  if (bytes.size() < 16) return InvalidArgument("ELF header cut short");
  ElfHeader h;
  const auto cls = static_cast<unsigned char>(bytes[4]);
  const auto data = static_cast<unsigned char>(bytes[5]);
  if (cls != 1 && cls != 2) return InvalidArgument(fmt::format("ELF class {} is unknown", cls));
  if (data != 1 && data != 2) {
    return InvalidArgument(fmt::format("ELF byte order {} is unknown", data));
  }
  if (bytes[6] != 1) return InvalidArgument("ELF identification version is not 1");
  h.bits = cls == 1 ? 32 : 64;
  h.big_endian = data == 2;
  h.os_abi = static_cast<uint8_t>(bytes[7]);
  // e_type and e_machine follow the identification; e_flags comes after
  // e_version, e_entry, e_phoff and e_shoff (4 or 8 bytes each).
  const size_t word = h.bits == 32 ? 4 : 8;
  const size_t flags_at = 16 + 2 + 2 + 4 + 3 * word;
  if (bytes.size() < flags_at + 4) return InvalidArgument("ELF header cut short");
  h.type = static_cast<uint16_t>(Uint(bytes, 16, 2, h.big_endian));
  h.machine = static_cast<uint16_t>(Uint(bytes, 18, 2, h.big_endian));
  h.flags = static_cast<uint32_t>(Uint(bytes, flags_at, 4, h.big_endian));
  return h;
}

std::string ElfArchitecture(const ElfHeader& h) {
  const bool le = !h.big_endian;
  switch (h.machine) {
    case kEmX8664:
      return h.bits == 64 && le ? "amd64" : "";
    case kEm386:
      return h.bits == 32 && le ? "386" : "";
    case kEmAarch64:
      return h.bits == 64 && le ? "arm64" : "";
    case kEmArm:
      return h.bits == 32 && le ? "arm" : "";
    case kEmPpc64:
      return h.bits == 64 ? (le ? "ppc64le" : "ppc64") : "";
    case kEmS390:
      return h.bits == 64 && !le ? "s390x" : "";
    case kEmRiscv:
      return h.bits == 64 && le ? "riscv64" : "";
    case kEmLoongarch:
      return h.bits == 64 && le ? "loong64" : "";
    case kEmMips:
      if (h.bits == 64) return le ? "mips64le" : "mips64";
      return le ? "mipsle" : "mips";
    default:
      return "";
  }
}

Status CheckElfPlatform(const ElfHeader& h, const Platform& platform) {
  const std::string want = platform.ToString();
  if (std::find(kNonElfOs.begin(), kNonElfOs.end(), platform.os) != kNonElfOs.end()) {
    return InvalidArgument(fmt::format("it is {}, which {} cannot run", Describe(h), platform.os));
  }
  if (platform.os == "linux" && h.os_abi != kOsAbiSysv && h.os_abi != kOsAbiGnu) {
    return InvalidArgument(fmt::format("it is {} for OS ABI {}, not linux", Describe(h), h.os_abi));
  }
  const std::string arch = ElfArchitecture(h);
  if (arch != platform.architecture) {
    return InvalidArgument(fmt::format("it is {}, not {}", Describe(h), want));
  }
  if (arch == "arm" && (h.flags & kArmEabiMask) == kArmEabiVer5 &&
      (h.flags & kArmAbiFloatHard) != 0 && platform.Normalized().variant == "v5") {
    return InvalidArgument(
        fmt::format("it is a hard-float (VFP) arm executable, which {} cannot run", want));
  }
  return {};
}

}  // namespace ocib::elf
