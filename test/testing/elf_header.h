// Tiny ELF file headers for tests of the binary platform checks.
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

}  // namespace ocib::testing

#endif  // OCIB_TEST_TESTING_ELF_HEADER_H_
