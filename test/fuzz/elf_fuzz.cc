// The ELF file header reader (lib/sbom/elf.h) on arbitrary bytes: it never
// reads past them, and what it accepts is consistent.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "lib/sbom/elf.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view bytes(reinterpret_cast<const char*>(data), size);
  auto h = ocib::elf::ParseElfHeader(bytes);
  if (!h) return 0;
  if (!ocib::elf::HasElfMagic(bytes) || (h->bits != 32 && h->bits != 64)) std::abort();
  for (const char* p :
       {"linux/amd64", "linux/arm/v5", "linux/arm64", "windows/amd64", "linux/s390x"}) {
    auto platform = ocib::Platform::Parse(p);
    if (!platform) std::abort();
    ocib::Status st = ocib::elf::CheckElfPlatform(*h, *platform);
    // A match means the header names the platform's architecture.
    if (st && ocib::elf::ElfArchitecture(*h) != platform->architecture) std::abort();
  }
  return 0;
}
