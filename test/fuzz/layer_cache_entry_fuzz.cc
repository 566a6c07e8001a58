// Layer cache entries (keys/<key>.json, read back by every cache reuse,
// prune and verify): each input is written as the one entry of a scratch
// cache that LayerCache::Verify then checks. The cache directory is a file
// its user may have edited or a crash may have truncated.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

#include "ocib/digest.h"
#include "ocib/layer_cache.h"

#include "test/fuzz/fuzz_check.h"

namespace {

const std::string kKey(64, 'a');
// The one blob of the scratch cache, written again before every input (a
// dropped entry takes its blob with it).
constexpr std::string_view kBlob = "ocib fuzz layer\n";

// Never destroyed: the atexit handler that removes it runs after static
// destructors registered later.
const std::string& CacheDir() {
  static const std::string& dir = *new std::string([] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ocib-fuzz-cache.XXXXXX").string();
    if (::mkdtemp(tmpl.data()) == nullptr) std::abort();
    std::filesystem::create_directories(tmpl + "/layers/blobs/sha256");
    std::filesystem::create_directories(tmpl + "/keys");
    std::ofstream(tmpl + "/layers/oci-layout") << R"({"imageLayoutVersion":"1.0.0"})";
    std::atexit([] { std::filesystem::remove_all(CacheDir()); });
    return tmpl;
  }());
  return dir;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string& dir = CacheDir();
  std::ofstream(dir + "/layers/blobs/sha256/" + ocib::Digest::Sha256Of(kBlob).encoded(),
                std::ios::binary | std::ios::trunc)
      << kBlob;
  {
    std::ofstream out(dir + "/keys/" + kKey + ".json", std::ios::binary | std::ios::trunc);
    out.write(reinterpret_cast<const char*>(data), static_cast<std::streamsize>(size));
  }
  auto result = ocib::LayerCache::Verify(dir);
  OCIB_FUZZ_CHECK(result.has_value());
  OCIB_FUZZ_CHECK(result->entries_checked + result->entries_dropped == 1);
  return 0;
}
