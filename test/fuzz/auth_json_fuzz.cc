// Credentials in containers auth.json files (auth::ParseConfigCredential), looked up for
// a few registry spellings and repositories; credential helpers are never run. The key
// found names the registry, or the registry and a namespace of the repository.
#include <cstddef>
#include <cstdint>
#include <string>

#include "lib/auth/keychain_config.h"
#include "test/fuzz/fuzz_check.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string_view text = ocib::fuzz::AsText(data, size);
  for (const char* registry :
       {"registry.example.com", "docker.io", "localhost:5000", "[::1]:5000"}) {
    for (const char* repo : {"", "team/app", "library/alpine"}) {
      auto c = ocib::auth::ParseConfigCredential(text, "auth.json", registry,
                                                 ocib::auth::ConfigKind::kContainersAuth, repo);
      if (!c) continue;
      OCIB_FUZZ_CHECK(c->found == !c->credential.empty());
      if (c->found && c->key.find("://") == std::string::npos) {
        const std::string_view key = c->key;
        const size_t slash = key.find('/');
        const std::string_view host = key.substr(0, slash);
        OCIB_FUZZ_CHECK(host == registry || host == "docker.io" || host == "index.docker.io");
        if (slash != std::string_view::npos) {
          const std::string ns(key.substr(slash + 1));
          const std::string r = repo;
          OCIB_FUZZ_CHECK(r == ns || r.rfind(ns + "/", 0) == 0);
        }
      }
    }
  }
  return 0;
}
