// The layer reader and applier (lib/archive/unpack.h) on arbitrary bytes:
// the input is cut into one to three layers (tar, gzip or zstd, detected by
// libarchive), flattened into a tar and unpacked into a fresh directory
// inside a private parent. Whatever the layers hold, nothing may appear in
// the parent beside that directory.
#include <dirent.h>
#include <stdlib.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "lib/archive/unpack.h"
#include "lib/io/fs_util.h"
#include "lib/io/streams.h"
#include "test/fuzz/fuzz_check.h"

namespace {

std::vector<ocib::archive::NamedLayer> Layers(const uint8_t* data, size_t size) {
  std::vector<ocib::archive::NamedLayer> layers;
  if (size == 0) return layers;
  const size_t count = data[0] % 3 + 1;
  const std::string bytes(ocib::fuzz::AsText(data + 1, size - 1));
  const size_t part = bytes.size() / count;
  for (size_t i = 0; i < count; ++i) {
    std::string piece = bytes.substr(i * part, i + 1 == count ? std::string::npos : part);
    layers.push_back({"layer" + std::to_string(i), [piece]() {
                        return ocib::Result<std::unique_ptr<ocib::Reader>>(
                            std::make_unique<ocib::io::StringReader>(piece));
                      }});
  }
  return layers;
}

std::vector<std::string> Names(const std::string& dir) {
  std::vector<std::string> names;
  DIR* d = ::opendir(dir.c_str());
  OCIB_FUZZ_CHECK(d != nullptr);
  while (struct dirent* e = ::readdir(d)) {
    const std::string n = e->d_name;
    if (n != "." && n != "..") names.push_back(n);
  }
  ::closedir(d);
  return names;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::vector<ocib::archive::NamedLayer> layers = Layers(data, size);
  ocib::io::NullWriter null;
  int64_t skipped = 0;
  std::unique_ptr<ocib::archive::FlatSink> tar = ocib::archive::NewTarSink(null, &skipped);
  (void)ocib::archive::Flatten(layers, *tar);

  char parent[] = "/tmp/ocib-fuzz-unpack-XXXXXX";
  OCIB_FUZZ_CHECK(::mkdtemp(parent) != nullptr);
  const std::string root = std::string(parent) + "/root";
  ocib::archive::DirectorySinkReport report;
  auto sink = ocib::archive::NewDirectorySink(root, {}, &report);
  OCIB_FUZZ_CHECK(sink.has_value());
  (void)ocib::archive::Flatten(layers, **sink);
  const std::vector<std::string> beside = Names(parent);
  OCIB_FUZZ_CHECK(beside.size() == 1 && beside[0] == "root");
  ocib::fsutil::RemoveAll(parent);
  return 0;
}
