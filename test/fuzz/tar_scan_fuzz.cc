// The tar header scan that lists a base layer's directories
// (lib/archive/tar_scan.h) on arbitrary bytes, fed in uneven pieces: it
// never reads past them and only ever reports normalized paths.
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <set>
#include <string>

#include "lib/archive/tar_scan.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::set<std::string> dirs{"etc", "tmp", "usr/share"};
  ocib::archive::TarDirectoryScanner scanner(&dirs);
  size_t step = size > 0 ? (data[0] % 97) + 1 : 1;
  for (size_t at = 0; at < size; at += step) {
    size_t n = size - at < step ? size - at : step;
    if (!scanner.Write(data + at, n)) return 0;
  }
  if (!scanner.Close()) return 0;
  for (const std::string& d : dirs) {
    if (d.empty() || d.front() == '/' || d.back() == '/' ||
        ocib::archive::NormalizeTarPath(d) != d) {
      std::abort();
    }
  }
  return 0;
}
