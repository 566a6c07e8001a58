// Shared by the fuzz targets: an invariant check that stops the process in
// every build (libFuzzer records the input; the ctest driver fails).
#ifndef OCIB_TEST_FUZZ_FUZZ_CHECK_H_
#define OCIB_TEST_FUZZ_FUZZ_CHECK_H_

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#define OCIB_FUZZ_CHECK(cond)                                                           \
  do {                                                                                  \
    if (!(cond)) {                                                                      \
      std::fprintf(stderr, "%s:%d: invariant failed: %s\n", __FILE__, __LINE__, #cond); \
      std::abort();                                                                     \
    }                                                                                   \
  } while (0)

// The libFuzzer entry point every target defines.
extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

namespace ocib::fuzz {

inline std::string_view AsText(const uint8_t* data, size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

}  // namespace ocib::fuzz

#endif  // OCIB_TEST_FUZZ_FUZZ_CHECK_H_
