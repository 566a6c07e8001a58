// A plain main() for the fuzz targets (test/fuzz/*_fuzz.cc) when they are
// built without libFuzzer: feeds every regular file under each directory
// argument (recursively, in sorted order) to LLVMFuzzerTestOneInput once.
// A missing directory is skipped; no input at all is an error, so a target
// whose seeds went missing does not pass unnoticed. A crash or a failed
// invariant aborts the process, which fails the test.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <system_error>
#include <vector>

#include "test/fuzz/fuzz_check.h"

namespace {

std::vector<std::filesystem::path> InputsUnder(const std::filesystem::path& dir) {
  std::vector<std::filesystem::path> out;
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return out;
  for (const auto& e : std::filesystem::recursive_directory_iterator(dir)) {
    if (e.is_regular_file()) out.push_back(e.path());
  }
  std::sort(out.begin(), out.end());
  return out;
}

}  // namespace

int main(int argc, char** argv) {
  size_t count = 0;
  for (int i = 1; i < argc; ++i) {
    for (const std::filesystem::path& p : InputsUnder(argv[i])) {
      std::ifstream in(p, std::ios::binary);
      std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
      if (!in.good() && !in.eof()) {
        std::fprintf(stderr, "cannot read %s\n", p.c_str());
        return 1;
      }
      std::fprintf(stderr, "input %s (%zu bytes)\n", p.c_str(), bytes.size());
      LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
      ++count;
    }
  }
  if (count == 0) {
    std::fprintf(stderr, "no inputs found under the given directories\n");
    return 1;
  }
  std::fprintf(stderr, "%zu inputs ran without a finding\n", count);
  return 0;
}
