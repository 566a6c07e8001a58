// append_env SRC DST [INSECURE_HOST]: reads the image SRC from a registry,
// appends a layer holding /etc/app/extra.conf, sets MODE=prod on every
// platform and pushes the result to DST (same registry: the base layers
// are mounted, never downloaded). Prints DST@sha256:...
#include <iostream>
#include <memory>
#include <utility>
#include <vector>

#include "ocib/image.h"
#include "ocib/memory_store.h"

namespace {

ocib::Result<ocib::WrittenImage> Run(const std::string& src, const std::string& dst,
                                     const ocib::RegistryOptions& reg) {
  OCIB_ASSIGN_OR_RETURN(ocib::ImageLocation from, ocib::ImageLocation::Parse(src));
  OCIB_ASSIGN_OR_RETURN(ocib::ImageLocation to, ocib::ImageLocation::Parse(dst));
  OCIB_ASSIGN_OR_RETURN(ocib::ImageIndex in, ocib::ReadImage(from, reg));
  ocib::FileTree files;
  OCIB_RETURN_IF_ERROR(files.AddFile("etc/app/extra.conf", "mode=prod\n", 0644));
  auto store = std::make_shared<ocib::MemoryBlobStore>();  // the new layer goes here
  ocib::ConfigChanges env;
  env.env = {"MODE=prod"};
  std::vector<ocib::Image> images;
  for (const ocib::Image& image : in.images) {
    OCIB_ASSIGN_OR_RETURN(ocib::Image layered,
                          ocib::AppendTree(image, files, store, {}, "example: extra.conf"));
    OCIB_ASSIGN_OR_RETURN(ocib::Image configured, ocib::SetConfig(layered, env));
    images.push_back(std::move(configured));
  }
  OCIB_ASSIGN_OR_RETURN(ocib::ImageIndex out, ocib::Reindex(in, std::move(images)));
  return ocib::WriteImage(out, to, reg);
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: append_env SRC DST [INSECURE_HOST]\n";
    return 2;
  }
  ocib::RegistryOptions reg;
  if (argc > 3) reg.insecure_registries = {argv[3]};
  auto written = Run(argv[1], argv[2], reg);
  if (!written) {
    std::cerr << written.error().ToString() << "\n";
    return 1;
  }
  for (const std::string& line : written->written) std::cout << line << "\n";
  return 0;
}
