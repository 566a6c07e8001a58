// Credentials in docker config.json files (auth::ParseConfigCredential), looked up for
// a few registry spellings; credential helpers are never run.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/auth/keychain_config.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = ocib::fuzz::AsText(data, size);
  for (const char* registry :
       {"registry.example.com", "docker.io", "localhost:5000", "[::1]:5000"}) {
    auto c = ocib::auth::ParseConfigCredential(text, "config.json", registry,
                                               ocib::auth::ConfigKind::kDockerConfig);
    if (c) OCIB_FUZZ_CHECK(c->found == !c->credential.empty());
  }
  return 0;
}
