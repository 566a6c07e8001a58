// copy_progress SRC DST [INSECURE_HOST]: copies an image (every platform,
// with its referrers) between two stores, each an OCI layout (oci:DIR[:TAG])
// or a registry reference, and reports on stderr what happened to each blob
// and a percentage of the bytes as they move. Prints the root digest.
#include <cstdint>
#include <iostream>
#include <map>
#include <mutex>
#include <string>
#include <vector>

#include "ocib/image_location.h"
#include "ocib/pull.h"

int main(int argc, char** argv) {
  if (argc < 3) {
    std::cerr << "usage: copy_progress SRC DST [INSECURE_HOST]\n";
    return 2;
  }
  auto from = ocib::ImageLocation::Parse(argv[1]);
  auto to = ocib::ImageLocation::Parse(argv[2]);
  if (!from || !to) {
    std::cerr << (from ? to.error() : from.error()).ToString() << "\n";
    return 2;
  }
  ocib::RegistryOptions reg;
  if (argc > 3) reg.insecure_registries = {argv[3]};
  std::mutex mu;  // on_bytes comes from the transfer's worker threads
  int64_t planned = 0;
  std::map<ocib::Digest, int64_t> done;
  reg.events.on_plan = [&](const ocib::TransferPlan& p) { planned += p.bytes; };
  reg.events.on_bytes = [&](const ocib::Digest& d, int64_t now, int64_t) {
    std::lock_guard<std::mutex> lock(mu);
    done[d] = now;
    int64_t sum = 0;
    for (const auto& [digest, bytes] : done) sum += bytes;
    if (planned > 0) std::cerr << "progress " << (100 * sum / planned) << "%\n";
  };
  reg.events.on_blob = [&](const ocib::BlobEvent& e) {
    std::lock_guard<std::mutex> lock(mu);
    std::cerr << "blob " << e.digest.ToString() << " " << e.size << " "
              << ocib::BlobActionName(e.action) << "\n";
  };
  std::vector<std::string> pushed;
  auto root = ocib::Copy(*from, *to, reg, &pushed);
  if (!root) {
    std::cerr << root.error().ToString() << "\n";
    return 1;
  }
  std::cout << root->digest.ToString() << "\n";
  return 0;
}
