// Fuzzes reading a docker archive (and the same bytes as an OCI archive):
// the tar index (libarchive), manifest.json, configs, and then every blob
// the made-up index names, read back in full.
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

#include "lib/layout/image_source.h"
#include "test/fuzz/fuzz_check.h"

namespace {

void ReadEverything(const std::string& text) {
  auto where = ocib::ImageLocation::Parse(text);
  if (!where) std::abort();
  auto source = ocib::OpenImageSource(*where);
  if (!source) return;
  auto index = (*source)->ReadIndex();
  if (!index) return;
  for (const ocib::Descriptor& d : index->manifests) {
    auto bytes = (*source)->ReadAll(d.digest, size_t{1} << 20);
    if (!bytes) continue;
    (void)ocib::ResolveImage(**source, *where);
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  char path[] = "/tmp/ocib-docker-archive-fuzz-XXXXXX";
  int fd = ::mkstemp(path);
  if (fd < 0) return 0;
  size_t done = 0;
  while (done < size) {
    ssize_t n = ::write(fd, data + done, size - done);
    if (n <= 0) break;
    done += static_cast<size_t>(n);
  }
  ::close(fd);
  ReadEverything(std::string("docker-archive:") + path);
  ReadEverything(std::string("oci-archive:") + path);
  ::unlink(path);
  return 0;
}
