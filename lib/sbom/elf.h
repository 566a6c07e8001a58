// The ELF file header of an executable: which machine, word size, byte
// order and ABI it was built for, to tell whether it runs on a platform.
#ifndef OCIB_LIB_SBOM_ELF_H_
#define OCIB_LIB_SBOM_ELF_H_

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "ocib/platform.h"
#include "ocib/status.h"

namespace ocib::elf {

// Bytes of the ELF64 file header (ELF32's is 52): reading this many from
// the start of a file is enough for ParseElfHeader.
inline constexpr size_t kElfHeaderBytes = 64;

struct ElfHeader {
  int bits = 0;             // 32 or 64 (EI_CLASS)
  bool big_endian = false;  // EI_DATA
  uint8_t os_abi = 0;       // EI_OSABI
  uint16_t type = 0;        // e_type
  uint16_t machine = 0;     // e_machine
  uint32_t flags = 0;       // e_flags
};

// True when `bytes` start with the ELF magic "\x7fELF".
bool HasElfMagic(std::string_view bytes);

// Parses the file header at the start of `bytes` (only the first
// kElfHeaderBytes are looked at). kInvalidArgument when there is no ELF
// magic or the class, byte order or version is not one ELF defines, or the
// header is cut short.
Result<ElfHeader> ParseElfHeader(std::string_view bytes);

// The Go architecture name the header describes ("amd64", "arm64", "arm",
// "386", "ppc64le", "ppc64", "s390x", "riscv64", "mips64le", "mips64",
// "mipsle", "mips", "loong64"), or "" for a machine ocib does not know.
std::string ElfArchitecture(const ElfHeader& h);

// Checks that an executable with header `h` is built for `platform`:
// operating system (an ELF is never a windows, darwin, ios, aix or plan9
// binary; a linux one carries OS ABI 0 or 3), architecture (machine, word
// size and byte order) and, for arm, the float ABI the EABI flags show
// (hard-float needs arm/v6 or later). kInvalidArgument saying what differs.
Status CheckElfPlatform(const ElfHeader& h, const Platform& platform);

}  // namespace ocib::elf

#endif  // OCIB_LIB_SBOM_ELF_H_
