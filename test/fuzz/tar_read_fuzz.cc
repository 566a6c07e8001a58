// Reading a layer's tarball (lib/archive/tar_read.h) from arbitrary bytes
// (tar, gzip or zstd; the first byte picks whether whiteouts are kept):
// it ends with a tree or an error, within its limits, and a tree holds
// only relative, normalized paths without ".." and, unless kept, without
// whiteout names.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/archive/tar_read.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  ocib::tar::ReadOptions options;
  options.keep_whiteouts = (data[0] & 1) != 0;
  options.max_entries = 512;
  options.max_bytes = int64_t{1} << 20;
  auto tree = ocib::tar::ReadTarBytes(data + 1, size - 1, "fuzz.tar", options);
  if (!tree) return 0;
  int64_t bytes = 0;
  size_t entries = 0;
  for (const ocib::FileEntry& e : tree->SortedEntries()) {
    ++entries;
    OCIB_FUZZ_CHECK(!e.path.empty() && e.path.front() != '/' && e.path.back() != '/');
    OCIB_FUZZ_CHECK(e.path.find('\0') == std::string::npos);
    auto normal = ocib::FileTree::NormalizePath(e.path);
    OCIB_FUZZ_CHECK(normal && *normal == e.path);
    OCIB_FUZZ_CHECK(("/" + e.path + "/").find("/../") == std::string::npos);
    OCIB_FUZZ_CHECK(options.keep_whiteouts || ("/" + e.path).find("/.wh.") == std::string::npos);
    OCIB_FUZZ_CHECK(e.uid == 0 && e.gid == 0);
    if (e.content) bytes += static_cast<int64_t>(e.content->size());
  }
  OCIB_FUZZ_CHECK(entries <= options.max_entries);
  OCIB_FUZZ_CHECK(bytes <= options.max_bytes);
  return 0;
}
