// Builds a one-platform image on the scratch base through the public API,
// then checks the layout: what a C++ tool linking ocib::ocib would do.
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <string>

#include "ocib/image_builder.h"
#include "ocib/oci_layout.h"
#include "ocib/validate.h"
#include "ocib/version.h"

int main() {
  char tmpl[] = "/tmp/ocib-consumer-XXXXXX";
  const char* dir = mkdtemp(tmpl);
  if (dir == nullptr) return 1;
  std::string bin = std::string(dir) + "/app";
  std::ofstream(bin) << "#!/bin/sh\necho hi\n";
  ocib::BuildSpec options;
  options.base = ocib::ScratchBase{};
  options.binaries = {{*ocib::Platform::Parse("linux/amd64"), bin}};
  options.binary_unchecked = true;  // a shell script
  options.output =
      ocib::ImageLocation{ocib::LayoutLocation{std::string(dir) + "/layout", "v1", true, ""}};
  auto result = ocib::BuildImage(options);
  if (!result) {
    std::cerr << "build failed: " << result.error().ToString() << "\n";
    return 1;
  }
  auto report = ocib::ValidateLayout(std::string(dir) + "/layout");
  if (!report || !report->problems.empty()) {
    std::cerr << "layout does not validate\n";
    return 1;
  }
  std::cout << "ocib " << OCIB_VERSION_STRING << " built " << result->descriptor.digest.ToString()
            << "\n";
  std::string cmd = std::string("rm -rf ") + dir;
  return std::system(cmd.c_str()) == 0 ? 0 : 1;
}
