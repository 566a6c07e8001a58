// build_layout AMD64_BINARY ARM64_BINARY CONFIG_FILE LAYOUT_DIR: builds a
// two-platform image (linux/amd64 and linux/arm64) on ocib's embedded
// static base: each platform's binary at /app, CONFIG_FILE at
// /etc/app/app.conf on both (one shared layer), an SPDX SBOM per platform,
// written to the OCI layout LAYOUT_DIR under the tag "v1", every time stamp
// at 2023-11-14T22:13:20Z: the same files give the same digest on any
// machine. Prints the index digest and one line per platform manifest.
#include <iostream>
#include <string>

#include "ocib/image_builder.h"

int main(int argc, char** argv) {
  if (argc != 5) {
    std::cerr << "usage: build_layout AMD64_BINARY ARM64_BINARY CONFIG_FILE LAYOUT_DIR\n";
    return 2;
  }
  ocib::BuildSpec o;
  o.binaries = {{*ocib::Platform::Parse("linux/amd64"), argv[1]},
                {*ocib::Platform::Parse("linux/arm64"), argv[2]}};
  o.files = {{argv[3], "/etc/app/app.conf"}};
  o.env = {{"APP_CONFIG", "/etc/app/app.conf"}};
  o.output = ocib::ImageLocation{ocib::LayoutLocation{argv[4], "v1", true, ""}};
  o.source_date_epoch = 1700000000;
  o.log = [](std::string_view line) { std::cerr << line << "\n"; };
  auto built = ocib::BuildImage(o);
  if (!built) {
    std::cerr << built.error().ToString() << "\n";
    return 1;
  }
  std::cout << built->descriptor.digest.ToString() << "\n";
  for (const ocib::PlatformImage& image : built->images) {
    std::cout << image.platform.ToString() << " " << image.manifest.digest.ToString() << "\n";
  }
  return 0;
}
