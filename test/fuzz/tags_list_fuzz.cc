// Fuzzes RegistryClient::ListTags (ocib/registry.h), the parser of a
// registry's tag list: the input's first line is the Link header of the
// first page, the rest its body (JSON from an untrusted registry). The
// second page, when the Link header names one, is the same body without a
// Link header.
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <utility>

#include "ocib/auth.h"
#include "ocib/http.h"
#include "ocib/registry.h"

#include "test/fuzz/fuzz_check.h"

namespace {

class OneBodyTransport : public ocib::HttpTransport {
 public:
  OneBodyTransport(std::string link, std::string body)
      : link_(std::move(link)), body_(std::move(body)) {}
  ocib::HttpResult RoundTrip(const ocib::HttpRequest& request) override {
    ocib::HttpResponse r;
    r.status = 200;
    if (request.url.find("/tags/list") == std::string::npos) return r;
    r.body = body_;
    if (pages_++ == 0 && !link_.empty()) r.headers.push_back({"link", link_});
    return r;
  }

 private:
  std::string link_;
  std::string body_;
  int pages_ = 0;
};

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string input(reinterpret_cast<const char*>(data), size);
  size_t nl = input.find('\n');
  std::string link = nl == std::string::npos ? "" : input.substr(0, nl);
  std::string body = nl == std::string::npos ? input : input.substr(nl + 1);
  ocib::RegistryOptions options;
  options.transport = std::make_shared<OneBodyTransport>(link, body);
  options.keychain = ocib::MakeStaticKeychain({});
  options.cert_dirs = {};
  options.sleep = [](std::chrono::milliseconds) {};
  auto client = ocib::RegistryClient::Create("fuzz.test", options);
  if (!client) return 0;
  auto tags = (*client)->ListTags("repo", 10);
  if (tags) {
    for (const std::string& t : *tags) {
      if (t.size() > body.size()) __builtin_trap();  // a tag comes from the body
    }
  }
  return 0;
}
